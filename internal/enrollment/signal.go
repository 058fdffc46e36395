package enrollment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/api/serviceerror"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// replyEvent is the event that stops the runs of workflows with stop_on_response.
const replyEvent = "customer_replied"

// deliver hands an event to the contact's enrollments that are running
// (not those it just started, which carry it as their trigger): as a signal,
// or, for a reply to a workflow with stop_on_response, by ending the run.
func (s *Service) deliver(ctx context.Context, ev *models.Event, startedNow []string) error {
	if ev.ContactID == "" {
		return nil
	}
	var running []models.Enrollment
	err := s.DB.WithContext(ctx).Where("account_id = ? AND contact_id = ? AND status IN ? AND temporal_workflow_id <> ''",
		ev.AccountID, ev.ContactID, []string{models.EnrollmentActive, models.EnrollmentWaiting}).Order("id").Find(&running).Error
	if err != nil {
		return fmt.Errorf("finding running enrollments of contact %s: %w", ev.ContactID, err)
	}
	payload := workflows.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data, OccurredAt: ev.OccurredAt}
	var errs []error
	for i := range running {
		e := &running[i]
		if slices.Contains(startedNow, e.ID) {
			continue
		}
		if ev.Type == replyEvent {
			stop, err := s.stopsOnResponse(ctx, e)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if stop {
				errs = append(errs, s.exit(ctx, e, "the contact replied (stop on response)"))
				continue
			}
		}
		err := s.Temporal.SignalWorkflow(ctx, e.TemporalWorkflowID, "", workflows.SignalEvent, payload)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) { // a run that just ended needs no event
			errs = append(errs, fmt.Errorf("signalling enrollment %s: %w", e.ID, err))
		}
	}
	return errors.Join(errs...)
}

// stopsOnResponse reads the setting from the version the enrollment runs.
func (s *Service) stopsOnResponse(ctx context.Context, e *models.Enrollment) (bool, error) {
	def, err := s.versionDefinition(ctx, e.WorkflowID, e.Version)
	if err != nil {
		return false, err
	}
	return def.Settings.StopOnResponse, nil
}

// exit ends a running enrollment with a reason, then cancels its run.
func (s *Service) exit(ctx context.Context, e *models.Enrollment, reason string) error {
	now := time.Now().UTC()
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&models.Enrollment{}).
			Where("id = ? AND status NOT IN ?", e.ID, []string{models.EnrollmentCompleted, models.EnrollmentFailed, models.EnrollmentExited}).
			Updates(map[string]any{"status": models.EnrollmentExited, "exit_reason": reason, "finished_at": now}).Error
		if err != nil {
			return fmt.Errorf("ending enrollment %s: %w", e.ID, err)
		}
		return models.CloseOpenSteps(tx, e.ID, reason, now)
	})
	if err != nil {
		return err
	}
	if e.TemporalWorkflowID == "" {
		return nil // never started: the sweeper skips it now that it has ended
	}
	err = s.Temporal.CancelWorkflow(ctx, e.TemporalWorkflowID, "")
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("cancelling run of enrollment %s: %w", e.ID, err)
	}
	return nil
}

package enrollment

import (
	"context"
	"errors"
	"time"

	"github.com/crmflow/crmflow/models"
)

// Sweep finishes work a crash interrupted: events written with their record
// change but never routed, and enrollments recorded but never started. Both
// steps are idempotent, so running the sweeper beside live traffic is safe.
func (s *Service) Sweep(ctx context.Context, olderThan time.Duration) error {
	cutoff := time.Now().UTC().Add(-olderThan)
	var errs []error
	var events []models.Event
	if err := s.DB.WithContext(ctx).Where("routed_at IS NULL AND created_at < ?", cutoff).
		Order("created_at").Limit(100).Find(&events).Error; err != nil {
		return err
	}
	for i := range events {
		errs = append(errs, s.Route(ctx, &events[i]))
	}
	var pending []models.Enrollment
	if err := s.DB.WithContext(ctx).Where("status = ? AND temporal_run_id = '' AND started_at < ?", models.EnrollmentPending, cutoff).
		Order("started_at").Limit(100).Find(&pending).Error; err != nil {
		return err
	}
	for i := range pending {
		errs = append(errs, s.restart(ctx, &pending[i]))
	}
	return errors.Join(errs...)
}

// restart starts the run of an enrollment whose start was lost.
func (s *Service) restart(ctx context.Context, e *models.Enrollment) error {
	wf, def, _, err := s.loadWorkflow(ctx, Request{AccountID: e.AccountID, WorkflowID: e.WorkflowID, Test: true})
	if err != nil {
		return err
	}
	var contact models.Contact
	if e.ContactID != "" { // a scheduler trigger's run has no contact
		if err := s.DB.WithContext(ctx).Where("id = ?", e.ContactID).First(&contact).Error; err != nil {
			return err
		}
	}
	req := Request{AccountID: e.AccountID, WorkflowID: e.WorkflowID, ContactID: e.ContactID, Test: e.Test, ContactFree: e.ContactID == ""}
	if e.EventID != "" {
		var ev models.Event
		if s.DB.WithContext(ctx).Where("id = ?", e.EventID).Limit(1).Find(&ev).Error == nil && ev.ID != "" {
			req.Event = &ev
		}
	}
	if !e.Test {
		def = nil // non-test runs load their pinned version themselves
	}
	return s.start(ctx, e, wf, &contact, def, req)
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sweep(ctx, interval); err != nil && s.Log != nil && ctx.Err() == nil {
				s.Log.WarnContext(ctx, "sweep failed", "error", err)
			}
		}
	}
}

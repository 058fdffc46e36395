package enrollment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// Route matches an event against the published triggers of its type in its
// account and enrolls the contact in every workflow with a matching trigger
// (once per workflow, however many of its triggers match). It records which
// enrollments the event started and marks it routed.
func (s *Service) Route(ctx context.Context, ev *models.Event) error {
	started, err := s.match(ctx, ev)
	// A sweep of a partly routed event delivers it again; runs drop an
	// event id they already have.
	err = errors.Join(err, s.deliver(ctx, ev, started))
	// Keep what earlier routing attempts started: on a second pass those
	// enrollments already exist and would not be reported again.
	for _, id := range ev.Enrollments {
		if !slices.Contains(started, id) {
			started = append(started, id)
		}
	}
	slices.Sort(started)
	ev.Enrollments = started
	updates := map[string]any{"enrollments": mustJSON(started)}
	if err == nil {
		// Only a complete pass marks the event routed; a partial one is
		// retried by the sweeper, which enrolls nobody twice.
		now := time.Now().UTC()
		ev.RoutedAt = &now
		updates["routed_at"] = now
	}
	if uerr := s.DB.WithContext(ctx).Model(&models.Event{}).Where("id = ?", ev.ID).Updates(updates).Error; uerr != nil {
		return errors.Join(err, fmt.Errorf("recording routed event %s: %w", ev.ID, uerr))
	}
	return err
}

func (s *Service) match(ctx context.Context, ev *models.Event) ([]string, error) {
	var rows []models.PublishedTrigger
	err := s.DB.WithContext(ctx).Select("id", "account_id", "workflow_id", "version", "trigger_id", "definition").
		Where("account_id = ? AND type = ? AND match_key IN ?", ev.AccountID, ev.Type, condition.EventKeys(ev.Data)).
		Order("workflow_id, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("finding triggers for %s: %w", ev.Type, err)
	}
	started := []string{}
	if len(rows) == 0 || ev.ContactID == "" {
		return started, nil
	}
	var contact models.Contact
	if err := s.DB.WithContext(ctx).Preload("Tags").Where("account_id = ? AND id = ?", ev.AccountID, ev.ContactID).First(&contact).Error; err != nil {
		return nil, fmt.Errorf("loading contact of event %s: %w", ev.ID, err)
	}
	at := ev.OccurredAt
	if at.IsZero() {
		at = time.Now()
	}
	done := map[string]bool{}
	var errs []error
	for _, row := range rows {
		if done[row.WorkflowID] {
			continue
		}
		if ev.TargetWorkflowID != "" && (row.WorkflowID != ev.TargetWorkflowID || row.TriggerID != ev.TargetTriggerID) {
			continue // an event meant for one trigger only (an inbound webhook's URL)
		}
		t, err := s.trigger(&row)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		scope := condition.MapScope{"contact": contact.Fields(), "event": ev.Data}
		if condition.ReadsNow(t.Filters) {
			loc, err := s.zone(ctx, &row, &contact)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			scope["now"] = condition.NowFields(at.In(loc))
		}
		if !condition.Evaluate(t.Filters, scope, at) || !triggers.Accepts(t, ev.Data) {
			continue
		}
		done[row.WorkflowID] = true
		entryScope := ""
		if k, ok := triggers.Lookup(t.Type); ok {
			if sc, ok := k.(triggers.Scoped); ok {
				entryScope = sc.EntryScope(ev.Data)
			}
		}
		e, created, err := s.Enroll(ctx, Request{AccountID: ev.AccountID, WorkflowID: row.WorkflowID,
			ContactID: ev.ContactID, TriggerID: t.ID, Scope: entryScope, Event: ev})
		switch {
		case errors.Is(err, ErrNotPublished):
			// drafted since the trigger index was read
		case err != nil:
			errs = append(errs, fmt.Errorf("enrolling into workflow %s: %w", row.WorkflowID, err))
		case created:
			started = append(started, e.ID)
		}
	}
	return started, errors.Join(errs...)
}

// zone is the timezone a trigger's now.* is read in: its workflow's
// settings.timezone, resolved as steps resolve it. Only filters that read
// now.* pay for the two reads.
func (s *Service) zone(ctx context.Context, row *models.PublishedTrigger, contact *models.Contact) (*time.Location, error) {
	var v models.WorkflowVersion
	if err := s.DB.WithContext(ctx).Select("definition").Where("workflow_id = ? AND version = ?", row.WorkflowID, row.Version).
		First(&v).Error; err != nil {
		return nil, fmt.Errorf("reading the timezone of workflow %s: %w", row.WorkflowID, err)
	}
	var def struct {
		Settings struct {
			Timezone string `json:"timezone"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(v.Definition, &def); err != nil {
		return nil, fmt.Errorf("reading the timezone of workflow %s: %w", row.WorkflowID, err)
	}
	var acct models.Account
	if err := s.DB.WithContext(ctx).Select("timezone").Where("id = ?", row.AccountID).First(&acct).Error; err != nil {
		return nil, fmt.Errorf("reading the timezone of account %s: %w", row.AccountID, err)
	}
	return calendar.Zone(def.Settings.Timezone, contact.Timezone, acct.Timezone), nil
}

// trigger decodes an indexed trigger once: a row never changes (publishing
// writes new rows), so its id keys the cache.
func (s *Service) trigger(row *models.PublishedTrigger) (*definition.Trigger, error) {
	if t, ok := s.triggers.Load(row.ID); ok {
		return t.(*definition.Trigger), nil
	}
	var t definition.Trigger
	if err := json.Unmarshal(row.Definition, &t); err != nil {
		return nil, fmt.Errorf("reading trigger %s of workflow %s: %w", row.TriggerID, row.WorkflowID, err)
	}
	s.triggers.Store(row.ID, &t)
	return &t, nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

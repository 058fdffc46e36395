package history

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/crmflow/crmflow/models"
)

// Kinds of timeline entries.
const (
	EntryEvent = "event"
	EntryStep  = "step"
)

// TimelineEntry is an event that happened to the contact, or a step a
// workflow ran for them. At is when the event occurred or the step started.
type TimelineEntry struct {
	Kind         string // EntryEvent or EntryStep
	ID           string
	At           time.Time
	WorkflowID   string // steps: the workflow that ran it
	WorkflowName string
	Event        *models.Event
	Started      []StartedEnrollment // events: the enrollments the event started
	Step         *LogEntry
}

// StartedEnrollment names an enrollment an event started, and its workflow.
type StartedEnrollment struct {
	EnrollmentID, WorkflowID, WorkflowName string
}

// Timeline answers a page of the contact's events and step executions across
// every workflow, newest first (by time, then id), and the next page's cursor.
func (s *Service) Timeline(ctx context.Context, accountID, contactID string, limit int, after *Cursor) ([]TimelineEntry, *Cursor, error) {
	var contact models.Contact
	if err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, contactID).Limit(1).Find(&contact).Error; err != nil {
		return nil, nil, fmt.Errorf("loading contact %s: %w", contactID, err)
	}
	if contact.ID == "" {
		return nil, nil, ErrContactNotFound
	}
	// Each source gives at most a page (plus one to see whether more
	// follow); merged, the newest limit+1 of both are the page.
	evq := s.DB.WithContext(ctx).Where("account_id = ? AND contact_id = ?", accountID, contactID)
	stq := s.DB.WithContext(ctx).Where("account_id = ? AND contact_id = ?", accountID, contactID)
	if after != nil {
		cond, args := before("occurred_at", after)
		evq = evq.Where(cond, args...)
		cond, args = before("started_at", after)
		stq = stq.Where(cond, args...)
	}
	var events []models.Event
	if err := evq.Order("occurred_at DESC, id DESC").Limit(limit + 1).Find(&events).Error; err != nil {
		return nil, nil, fmt.Errorf("reading events of contact %s: %w", contactID, err)
	}
	var steps []models.StepExecution
	if err := stq.Order("started_at DESC, id DESC").Limit(limit + 1).Find(&steps).Error; err != nil {
		return nil, nil, fmt.Errorf("reading steps of contact %s: %w", contactID, err)
	}
	entries := make([]TimelineEntry, 0, len(events)+len(steps))
	for i := range events {
		entries = append(entries, TimelineEntry{Kind: EntryEvent, ID: events[i].ID, At: events[i].OccurredAt, Event: &events[i]})
	}
	for i := range steps {
		e := logEntry(&steps[i], contact.DisplayName())
		entries = append(entries, TimelineEntry{Kind: EntryStep, ID: steps[i].ID, At: steps[i].StartedAt,
			WorkflowID: steps[i].WorkflowID, Step: &e})
	}
	sort.Slice(entries, func(i, j int) bool {
		if !entries[i].At.Equal(entries[j].At) {
			return entries[i].At.After(entries[j].At)
		}
		return entries[i].ID > entries[j].ID
	})
	var next *Cursor
	if len(entries) > limit {
		entries = entries[:limit]
		last := entries[len(entries)-1]
		next = &Cursor{At: last.At, ID: last.ID}
	}
	if err := s.nameWorkflows(ctx, accountID, entries); err != nil {
		return nil, nil, err
	}
	return entries, next, nil
}

// nameWorkflows fills in workflow names, and the enrollments events started.
func (s *Service) nameWorkflows(ctx context.Context, accountID string, entries []TimelineEntry) error {
	var enrollmentIDs, workflowIDs []string
	for _, e := range entries {
		if e.Event != nil {
			enrollmentIDs = append(enrollmentIDs, e.Event.Enrollments...)
		}
		workflowIDs = append(workflowIDs, e.WorkflowID)
	}
	started := map[string]string{} // enrollment id → workflow id
	if ids := unique(enrollmentIDs); len(ids) > 0 {
		var rows []models.Enrollment
		if err := s.DB.WithContext(ctx).Select("id", "workflow_id").Where("account_id = ? AND id IN ?", accountID, ids).
			Find(&rows).Error; err != nil {
			return fmt.Errorf("loading enrollments of events: %w", err)
		}
		for _, r := range rows {
			started[r.ID] = r.WorkflowID
			workflowIDs = append(workflowIDs, r.WorkflowID)
		}
	}
	names, err := s.workflowNames(ctx, accountID, workflowIDs)
	if err != nil {
		return err
	}
	for i := range entries {
		e := &entries[i]
		e.WorkflowName = names[e.WorkflowID]
		if e.Event == nil {
			continue
		}
		e.Started = []StartedEnrollment{}
		for _, id := range e.Event.Enrollments {
			if wf, ok := started[id]; ok {
				e.Started = append(e.Started, StartedEnrollment{EnrollmentID: id, WorkflowID: wf, WorkflowName: names[wf]})
			}
		}
	}
	return nil
}

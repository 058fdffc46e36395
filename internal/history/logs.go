package history

import (
	"context"
	"fmt"
	"time"

	"github.com/crmflow/crmflow/models"
)

// StepStatuses are the statuses a log row can have, for filters.
var StepStatuses = []string{models.StepRunning, models.StepWaiting, models.StepCompleted, models.StepSkipped, models.StepFailed}

// LogFilter selects rows of a workflow's execution log. From is inclusive
// and To exclusive, both on the time the step started.
type LogFilter struct {
	AccountID, WorkflowID string
	From, To              *time.Time
	StepID                string
	Status                string
	ContactID             string
	Limit                 int
	After                 *Cursor // the previous page's last row
}

// LogEntry is one visit of one step, with who it ran for.
type LogEntry struct {
	ID              string
	EnrollmentID    string
	ContactID       string
	ContactName     string // "" when the contact was deleted
	StepID          string
	StepName        string
	StepType        string
	Visit           int
	Status          string
	Attempts        int
	StartedAt       time.Time
	FinishedAt      *time.Time
	Output          map[string]any // bounded: see Summarize
	OutputTruncated bool
	Error           string
}

// Logs answers a page of the workflow's execution log, newest first (by
// start time, then id), and the cursor of the next page (nil on the last).
func (s *Service) Logs(ctx context.Context, f LogFilter) ([]LogEntry, *Cursor, error) {
	if _, err := s.workflow(ctx, f.AccountID, f.WorkflowID); err != nil {
		return nil, nil, err
	}
	// The workflow is the account's, and workflow ids are unique, so
	// workflow_id alone selects the rows: it leads the log's indexes.
	q := s.DB.WithContext(ctx).Where("workflow_id = ?", f.WorkflowID)
	if f.From != nil {
		q = q.Where("started_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("started_at < ?", f.To.UTC())
	}
	if f.StepID != "" {
		q = q.Where("step_id = ?", f.StepID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.ContactID != "" {
		q = q.Where("contact_id = ?", f.ContactID)
	}
	if f.After != nil {
		cond, args := before("started_at", f.After)
		q = q.Where(cond, args...)
	}
	var rows []models.StepExecution
	if err := q.Order("started_at DESC, id DESC").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("reading the execution log of workflow %s: %w", f.WorkflowID, err)
	}
	var next *Cursor
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		next = &Cursor{At: last.StartedAt, ID: last.ID}
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ContactID
	}
	names, err := s.displayNames(ctx, f.AccountID, ids)
	if err != nil {
		return nil, nil, err
	}
	out := make([]LogEntry, len(rows))
	for i, r := range rows {
		out[i] = logEntry(&r, names[r.ContactID])
	}
	return out, next, nil
}

func logEntry(r *models.StepExecution, contactName string) LogEntry {
	output, cut := Summarize(r.Output)
	return LogEntry{ID: r.ID, EnrollmentID: r.EnrollmentID, ContactID: r.ContactID, ContactName: contactName,
		StepID: r.StepID, StepName: r.StepName, StepType: r.StepType, Visit: r.Visit, Status: r.Status,
		Attempts: r.Attempts, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Output: output, OutputTruncated: cut,
		Error: r.Error}
}

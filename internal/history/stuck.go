package history

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/durations"
)

// What makes a running enrollment look stuck, read from the execution-log
// row of the visit of its current step.
const (
	// DefaultStuckAfter is how long a wait with no deadline (an event,
	// condition or goal wait without timeout, or a drip batch) may last
	// before it is listed.
	DefaultStuckAfter = 7 * 24 * time.Hour
	// OverdueGrace is how long past its deadline a wait may still be
	// waiting: its timer should have fired by then.
	OverdueGrace = 15 * time.Minute
	// RunningLong is how long a step may run (an activity retrying: a
	// webhook or a provider failing) before it is listed.
	RunningLong = time.Hour
)

// Kinds of stuck enrollment.
const (
	StuckNoDeadline  = "no_deadline"
	StuckOverdue     = "overdue"
	StuckRunningLong = "running_long"
)

// StuckFilter selects a page of a workflow's stuck enrollments.
type StuckFilter struct {
	AccountID, WorkflowID string
	// StuckAfter overrides DefaultStuckAfter (when above zero).
	StuckAfter time.Duration
	// Status (active or waiting) and ContactID, when set, narrow the list.
	Status, ContactID string
	Limit             int    // the page size (50 when not above zero)
	After             string // the id of the previous page's last enrollment
	// Now is the clock (time.Now when nil), for tests.
	Now func() time.Time
}

// StuckEnrollment is a running enrollment that looks stuck, and why.
type StuckEnrollment struct {
	Enrollment models.Enrollment
	Kind       string // StuckNoDeadline, StuckOverdue or StuckRunningLong
	Reason     string // for people: what it waits for or the step's last error
	StepID     string
	// Since is when the step began waiting or running; for an overdue
	// wait, when its deadline passed.
	Since time.Time
}

// stuckRow is the current step's log row of a candidate enrollment.
type stuckRow struct {
	EnrollmentID string
	StepID       string
	Status       string
	Attempts     int
	StartedAt    time.Time
	Error        string
	Output       *string
}

// Stuck answers a page of the workflow's running enrollments (active or
// waiting) that look stuck, ordered by enrollment id, and whether another
// page follows. An enrollment is stuck when the log row of its current
// step's latest visit is
//   - waiting with no deadline (no output.until) for longer than
//     StuckAfter: a drip batch too, as its coordinator should have released it;
//   - waiting with a deadline more than OverdueGrace in the past: its timer
//     should have fired (is a worker running?);
//   - running for longer than RunningLong: an action whose activity keeps
//     failing and retrying.
//
// Another account's workflow answers ErrWorkflowNotFound.
func (s *Service) Stuck(ctx context.Context, f StuckFilter) ([]StuckEnrollment, bool, error) {
	if _, err := s.workflow(ctx, f.AccountID, f.WorkflowID); err != nil {
		return nil, false, err
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	at := now().UTC()
	after := f.StuckAfter
	if after <= 0 {
		after = DefaultStuckAfter
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	db := s.DB.WithContext(ctx)
	// output.until is RFC 3339 in UTC without fractions (activities
	// recordStep), so it compares as text with a deadline written alike.
	until := jsonText(db, "se.output", "until")
	q := db.Table("enrollments AS e").
		Select("e.id AS enrollment_id, se.step_id, se.status, se.attempts, se.started_at, se.error, se.output").
		Joins("JOIN step_executions AS se ON se.enrollment_id = e.id AND se.step_id = e.current_step").
		Where("e.account_id = ? AND e.workflow_id = ? AND e.status IN ?", f.AccountID, f.WorkflowID,
			[]string{models.EnrollmentActive, models.EnrollmentWaiting}).
		Where("se.visit = (SELECT MAX(v.visit) FROM step_executions AS v WHERE v.enrollment_id = e.id AND v.step_id = e.current_step)").
		Where("(se.status = ? AND se.started_at < ?) OR (se.status = ? AND (("+until+" IS NULL AND se.started_at < ?) OR "+until+" < ?))",
			models.StepRunning, at.Add(-RunningLong),
			models.StepWaiting, at.Add(-after), at.Add(-OverdueGrace).Format(time.RFC3339))
	if f.Status != "" {
		q = q.Where("e.status = ?", f.Status)
	}
	if f.ContactID != "" {
		q = q.Where("e.contact_id = ?", f.ContactID)
	}
	if f.After != "" {
		q = q.Where("e.id > ?", f.After)
	}
	var rows []stuckRow
	if err := q.Order("e.id").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, false, fmt.Errorf("finding stuck enrollments: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if len(rows) == 0 {
		return []StuckEnrollment{}, false, nil
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].EnrollmentID
	}
	var es []models.Enrollment
	if err := db.Where("account_id = ? AND id IN ?", f.AccountID, ids).Find(&es).Error; err != nil {
		return nil, false, fmt.Errorf("loading stuck enrollments: %w", err)
	}
	byID := make(map[string]*models.Enrollment, len(es))
	for i := range es {
		byID[es[i].ID] = &es[i]
	}
	out := make([]StuckEnrollment, 0, len(rows))
	for i := range rows {
		e, ok := byID[rows[i].EnrollmentID]
		if !ok {
			continue // deleted meanwhile
		}
		st := whyStuck(&rows[i], at)
		st.Enrollment = *e
		out = append(out, st)
	}
	return out, more, nil
}

// whyStuck explains a row the query found stuck.
func whyStuck(r *stuckRow, now time.Time) StuckEnrollment {
	st := StuckEnrollment{StepID: r.StepID, Since: r.StartedAt.UTC()}
	var out map[string]any
	if r.Output != nil {
		_ = json.Unmarshal([]byte(*r.Output), &out) // a row without output reads as none
	}
	if r.Status == models.StepRunning {
		st.Kind = StuckRunningLong
		var b strings.Builder
		fmt.Fprintf(&b, "step running long: running for %s", durations.Span(now.Sub(st.Since)))
		if r.Attempts > 0 {
			fmt.Fprintf(&b, ", attempt %d", r.Attempts)
		}
		if r.Error != "" {
			fmt.Fprintf(&b, ", last error: %s", r.Error)
		}
		st.Reason = b.String()
		return st
	}
	waitingFor, _ := out["waiting_for"].(string)
	if s, _ := out["until"].(string); s != "" {
		if until, err := time.Parse(time.RFC3339, s); err == nil {
			st.Kind, st.Since = StuckOverdue, until.UTC()
			st.Reason = fmt.Sprintf("overdue: its wait ended at %s, %s ago, and the step has not moved on: is a worker running?",
				s, durations.Span(now.Sub(until)))
			return st
		}
	}
	st.Kind = StuckNoDeadline
	st.Reason = "waiting with no deadline for " + durations.Span(now.Sub(st.Since))
	switch {
	case strings.HasPrefix(waitingFor, "until "):
		st.Reason += "; waiting " + waitingFor
	case waitingFor != "":
		st.Reason += "; waiting for " + waitingFor
	}
	return st
}

package history

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

// logRow is a row of the execution log, written the way the activities do:
// a waiting row keeps its deadline in output.until.
type logRow struct {
	step, typ, status string
	visit, attempts   int
	started           time.Time
	until             *time.Time
	waitingFor, err   string
}

// enrollAt writes a running enrollment of account acct at its current step
// (the last row's), with its log rows.
func (f *fixture) enrollAt(t *testing.T, acct, status string, rows ...logRow) string {
	t.Helper()
	e := models.Enrollment{ID: models.NewID(), AccountID: acct, WorkflowID: f.wf, ContactID: f.contacts[0],
		EntryKey: models.NewID(), Version: 1, Status: status, StartedAt: rows[0].started.Add(-time.Minute),
		CurrentStep: rows[len(rows)-1].step}
	mustCreate(t, f.db, &e)
	for _, r := range rows {
		if r.visit == 0 {
			r.visit = 1
		}
		row := models.StepExecution{ID: models.NewID(), AccountID: acct, WorkflowID: f.wf, EnrollmentID: e.ID,
			ContactID: e.ContactID, StepID: r.step, Visit: r.visit, StepType: r.typ, Status: r.status, Attempts: r.attempts,
			StartedAt: r.started.UTC(), Error: r.err}
		if r.waitingFor != "" || r.until != nil {
			row.Output = map[string]any{}
			if r.waitingFor != "" {
				row.Output["waiting_for"] = r.waitingFor
			}
			if r.until != nil {
				row.Output["until"] = r.until.UTC().Format(time.RFC3339)
			}
		}
		if r.status != models.StepWaiting && r.status != models.StepRunning {
			fin := r.started.Add(time.Second).UTC()
			row.FinishedAt = &fin
		}
		mustCreate(t, f.db, &row)
	}
	return e.ID
}

func TestStuckEnrollments(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.t0.Add(30 * 24 * time.Hour)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	const day = 24 * time.Hour
	waiting, active := models.EnrollmentWaiting, models.EnrollmentActive
	sent := logRow{step: "s1", typ: "send_sms", status: models.StepCompleted, attempts: 1, started: ago(20 * day)}

	forever := f.enrollAt(t, f.acct, waiting, sent,
		logRow{step: "w", typ: "wait", status: models.StepWaiting, started: ago(8*day + 2*time.Hour), waitingFor: "an event: customer_replied"})
	recent := f.enrollAt(t, f.acct, waiting, sent,
		logRow{step: "w", typ: "wait", status: models.StepWaiting, started: ago(2 * day), waitingFor: "an event: customer_replied"})
	overdue := f.enrollAt(t, f.acct, waiting, sent,
		logRow{step: "s2", typ: "wait", status: models.StepWaiting, started: ago(3 * day), until: at(-time.Hour)})
	f.enrollAt(t, f.acct, waiting, sent, // its timer fires any moment
		logRow{step: "s2", typ: "wait", status: models.StepWaiting, started: ago(3 * day), until: at(-5 * time.Minute)})
	f.enrollAt(t, f.acct, waiting, sent, // a long wait with a deadline to come
		logRow{step: "s2", typ: "wait", status: models.StepWaiting, started: ago(10 * day), until: at(day)})
	retrying := f.enrollAt(t, f.acct, active, sent,
		logRow{step: "s3", typ: "webhook", status: models.StepRunning, attempts: 4, started: ago(2 * time.Hour), err: "webhook answered 503"})
	f.enrollAt(t, f.acct, active, sent, // a short retry
		logRow{step: "s3", typ: "webhook", status: models.StepRunning, attempts: 2, started: ago(30 * time.Minute), err: "timeout"})
	drip := f.enrollAt(t, f.acct, waiting, sent,
		logRow{step: "d", typ: "drip", status: models.StepWaiting, started: ago(9 * day), waitingFor: "its batch of the drip"})
	// Only the latest visit of the current step counts: the loop came round
	// and this visit waits with a deadline to come.
	f.enrollAt(t, f.acct, waiting,
		logRow{step: "w", typ: "wait", status: models.StepWaiting, started: ago(20 * day)},
		logRow{step: "w", typ: "wait", status: models.StepWaiting, visit: 2, started: ago(day), until: at(day)})
	// Only the current step counts: an old wait row left behind is not it.
	f.enrollAt(t, f.acct, active,
		logRow{step: "w", typ: "wait", status: models.StepWaiting, started: ago(20 * day)},
		logRow{step: "s3", typ: "webhook", status: models.StepRunning, attempts: 1, started: ago(time.Minute)})
	// Ended enrollments are not stuck, whatever their log says.
	f.enrollAt(t, f.acct, models.EnrollmentExited,
		logRow{step: "w", typ: "wait", status: models.StepWaiting, started: ago(20 * day)})
	// Another account's enrollment is not listed.
	f.enrollAt(t, f.other, waiting, logRow{step: "w", typ: "wait", status: models.StepWaiting, started: ago(20 * day)})

	list := func(filter StuckFilter) ([]StuckEnrollment, bool) {
		t.Helper()
		filter.AccountID, filter.WorkflowID, filter.Now = f.acct, f.wf, func() time.Time { return now }
		got, more, err := f.svc.Stuck(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return got, more
	}
	got, more := list(StuckFilter{})
	if more {
		t.Errorf("more = true on the only page")
	}
	byID := map[string]StuckEnrollment{}
	for _, s := range got {
		byID[s.Enrollment.ID] = s
	}
	if len(got) != 4 {
		t.Errorf("%d stuck enrollments, want 4: %+v", len(got), got)
	}
	want := []struct {
		id, kind, step string
		since          time.Time
		reason         []string
	}{
		{forever, StuckNoDeadline, "w", ago(8*day + 2*time.Hour), []string{"waiting with no deadline for 8d 2h", "waiting for an event: customer_replied"}},
		{overdue, StuckOverdue, "s2", ago(time.Hour), []string{"overdue", "is a worker running?"}},
		{retrying, StuckRunningLong, "s3", ago(2 * time.Hour), []string{"step running long: running for 2h,", "attempt 4", "last error: webhook answered 503"}},
		{drip, StuckNoDeadline, "d", ago(9 * day), []string{"waiting with no deadline for 9d", "its batch of the drip"}},
	}
	for _, w := range want {
		s, ok := byID[w.id]
		if !ok {
			t.Errorf("%s (%s) not listed", w.id, w.kind)
			continue
		}
		if s.Kind != w.kind || s.StepID != w.step || !s.Since.Equal(w.since) || s.Enrollment.AccountID != f.acct {
			t.Errorf("%s: got kind %s step %s since %s, want %s %s %s", w.id, s.Kind, s.StepID, s.Since, w.kind, w.step, w.since)
		}
		for _, part := range w.reason {
			if !strings.Contains(s.Reason, part) {
				t.Errorf("%s: reason %q lacks %q", w.kind, s.Reason, part)
			}
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Enrollment.ID >= got[i].Enrollment.ID {
			t.Errorf("not ordered by id: %s before %s", got[i-1].Enrollment.ID, got[i].Enrollment.ID)
		}
	}

	// A shorter threshold lists the wait of two days too.
	got, _ = list(StuckFilter{StuckAfter: 24 * time.Hour})
	found := false
	for _, s := range got {
		found = found || s.Enrollment.ID == recent
	}
	if len(got) != 5 || !found {
		t.Errorf("with 24h: %d listed (recent listed: %v), want 5", len(got), found)
	}

	// Pages.
	page1, more := list(StuckFilter{Limit: 3})
	if len(page1) != 3 || !more {
		t.Fatalf("page 1: %d items, more %v", len(page1), more)
	}
	page2, more := list(StuckFilter{Limit: 3, After: page1[2].Enrollment.ID})
	if len(page2) != 1 || more || page2[0].Enrollment.ID == page1[2].Enrollment.ID {
		t.Fatalf("page 2: %d items, more %v", len(page2), more)
	}

	// Another account's workflow is not found.
	if _, _, err := f.svc.Stuck(ctx, StuckFilter{AccountID: f.other, WorkflowID: f.wf}); !errors.Is(err, ErrWorkflowNotFound) {
		t.Fatalf("other account: %v", err)
	}
}

package enrollment

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

// TestChainIsKeptThroughASweeperRestart: a nested enrollment's chain is on
// its row and in its run's input, also when the sweeper starts it after
// its first start failed; the id chosen by the caller is the row's.
func TestChainIsKeptThroughASweeperRestart(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, true, true)
	id, chain := models.NewID(), []string{"wfA", "wfB"}
	f.failing.Store(true)
	if _, _, err := f.svc.Enroll(context.Background(), Request{AccountID: f.account, WorkflowID: wf, ContactID: f.contact, ID: id, Chain: chain}); err == nil {
		t.Fatal("want the start error")
	}
	rows := f.enrollments(t, wf)
	if len(rows) != 1 || rows[0].ID != id || !slices.Equal(rows[0].Chain, chain) {
		t.Fatalf("rows = %+v, want %s with chain %v", rows, id, chain)
	}
	f.failing.Store(false)
	if err := f.svc.Sweep(context.Background(), -time.Second); err != nil {
		t.Fatal(err)
	}
	if len(f.inputs) != 1 || f.inputs[0].EnrollmentID != id || !slices.Equal(f.inputs[0].Chain, chain) {
		t.Errorf("inputs = %+v, want the chain carried", f.inputs)
	}
}

// TestExitWorkflowEndsOnlyTheContactsRunningEnrollmentsThere: other
// workflows, finished enrollments and other accounts are left alone.
func TestExitWorkflowEndsOnlyTheContactsRunningEnrollmentsThere(t *testing.T) {
	f := newFixture(t)
	target, elsewhere := f.workflow(t, true, true), f.workflow(t, true, true)
	mk := func(accountID, workflowID, key, status string) string {
		e := models.Enrollment{ID: models.NewID(), AccountID: accountID, WorkflowID: workflowID, ContactID: f.contact, EntryKey: key,
			Version: 1, Status: status, StartedAt: time.Now().UTC(), TemporalWorkflowID: "run/" + key}
		if err := f.db.Create(&e).Error; err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	waiting := mk(f.account, target, "1", models.EnrollmentWaiting)
	active := mk(f.account, target, "scope/1", models.EnrollmentActive)
	done := mk(f.account, target, "2", models.EnrollmentCompleted)
	other := mk(f.account, elsewhere, "3", models.EnrollmentWaiting)
	foreign := mk(models.NewID(), target, "4", models.EnrollmentWaiting)

	n, err := f.svc.ExitWorkflow(context.Background(), f.account, target, f.contact, "removed by workflow X step s1")
	if err != nil || n != 2 {
		t.Fatalf("ExitWorkflow = %d, %v; want 2", n, err)
	}
	for id, want := range map[string]string{waiting: models.EnrollmentExited, active: models.EnrollmentExited,
		done: models.EnrollmentCompleted, other: models.EnrollmentWaiting, foreign: models.EnrollmentWaiting} {
		var e models.Enrollment
		f.db.First(&e, "id = ?", id)
		if e.Status != want {
			t.Errorf("enrollment %s (%s) is %s, want %s", id, e.EntryKey, e.Status, want)
		}
		if want == models.EnrollmentExited && e.ExitReason != "removed by workflow X step s1" {
			t.Errorf("exit reason = %q", e.ExitReason)
		}
	}
	if !slices.Equal(f.cancels, []string{"run/1", "run/scope/1"}) && !slices.Equal(f.cancels, []string{"run/scope/1", "run/1"}) {
		t.Errorf("cancelled %v", f.cancels)
	}
	if n, err := f.svc.ExitWorkflow(context.Background(), f.account, target, f.contact, "again"); err != nil || n != 0 {
		t.Errorf("again: %d, %v; want 0", n, err)
	}
}

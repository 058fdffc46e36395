package workflows_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// temporalRecorder stands in for the Temporal client of the enrollment
// service: the nested runs are not run here, only recorded.
type temporalRecorder struct {
	mu        sync.Mutex
	started   []workflows.Input
	cancelled []string
}

// withEnrollments rewires the fixture's activities to a real enrollment
// service over the recorder, as the worker has them.
func (f *fixture) withEnrollments() *temporalRecorder {
	rec := &temporalRecorder{}
	tc := &mocks.Client{}
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("nested-run")
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.started = append(rec.started, args[0].(workflows.Input))
			return run, nil
		})
	tc.On("CancelWorkflow", mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, id, _ string) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.cancelled = append(rec.cancelled, id)
			return nil
		})
	enr := &enrollment.Service{DB: f.db, Temporal: tc}
	f.acts = activities.New(activities.Options{DB: f.db, Contacts: f.contacts, AllowPrivate: true, Enrollments: enr, Workflows: enr})
	return rec
}

// runChained runs an enrollment that the chain of workflows led to.
func (f *fixture) runChained(e *models.Enrollment, chain []string) {
	f.t.Helper()
	env := f.env()
	env.ExecuteWorkflow(workflows.InterpretWorkflow, workflows.Input{RunRef: workflows.RunRef{AccountID: e.AccountID,
		WorkflowID: e.WorkflowID, Version: e.Version, ContactID: e.ContactID, EnrollmentID: e.ID, Chain: chain}})
	if !env.IsWorkflowCompleted() {
		f.t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		f.t.Fatalf("workflow error: %v", err)
	}
}

func TestAddToWorkflowStepPassesTheChainOnAndStopsAtTheLimit(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	rec := f.withEnrollments()
	b, earlier := f.publish(`{"name": "B", "settings": {"allow_reentry": true}, "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}}]}`)
	// The contact was in B before (entry 1); re-entry lets it in again.
	f.db.Model(earlier).Update("status", models.EnrollmentCompleted)
	a, e := f.publish(`{"name": "A", "start": "s1", "steps": [
		{"id": "s1", "type": "add_to_workflow", "config": {"workflow_id": "` + b.ID + `"}, "next": "s2"},
		{"id": "s2", "type": "add_tag", "config": {"tags": ["chained"]}}]}`)

	f.runChained(e, []string{b.ID})
	if got := f.enrollment(e.ID); got.Status != models.EnrollmentCompleted {
		t.Fatalf("enrollment = %s (%s), want completed", got.Status, got.ExitReason)
	}
	var nested []models.Enrollment
	f.db.Where("workflow_id = ? AND contact_id = ?", b.ID, f.contact.ID).Order("entry_no").Find(&nested)
	if len(nested) != 2 || !slices.Equal(nested[1].Chain, []string{b.ID, a.ID}) {
		t.Fatalf("B's enrollments = %+v, want a second one with chain [B A]", nested)
	}
	if len(rec.started) != 1 || !slices.Equal(rec.started[0].Chain, []string{b.ID, a.ID}) || rec.started[0].WorkflowID != b.ID {
		t.Errorf("runs started = %+v, want one of B carrying the chain", rec.started)
	}
	log := f.log(e.ID)
	if len(log) != 2 || log[0].Status != models.StepCompleted || log[0].Output["enrollment_id"] != nested[1].ID || log[0].Output["created"] != true {
		t.Errorf("execution log = %+v", log)
	}

	// The same workflow five enrollments deep: the step is skipped, the
	// reason names the chain, and the run goes on to its next step.
	deep := &models.Enrollment{ID: models.NewID(), AccountID: f.account.ID, WorkflowID: a.ID, ContactID: f.contact.ID,
		EntryKey: "2", EntryNo: 2, Version: a.Version, Status: models.EnrollmentPending, StartedAt: time.Now().UTC()}
	if err := f.db.Create(deep).Error; err != nil {
		t.Fatal(err)
	}
	f.runChained(deep, []string{b.ID, a.ID, b.ID, a.ID, b.ID})
	log = f.log(deep.ID)
	want := "not added to B: workflow chain B → A → B → A → B → A reached the depth limit of 5"
	if len(log) != 2 || log[0].Status != models.StepSkipped || log[0].Output["reason"] != want || log[1].Status != models.StepCompleted {
		t.Errorf("execution log = %+v, want s1 skipped with %q, then s2", log, want)
	}
	if got := f.enrollment(deep.ID); got.Status != models.EnrollmentCompleted {
		t.Errorf("deep enrollment = %s, want completed", got.Status)
	}
	if len(rec.started) != 1 {
		t.Errorf("%d runs started, want none past the limit", len(rec.started)-1)
	}
}

func TestRemoveFromWorkflowStepEndsAnotherThenItself(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	rec := f.withEnrollments()
	w, waiting := f.publish(`{"name": "Nurture", "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}}]}`)
	f.db.Model(waiting).Updates(map[string]any{"status": models.EnrollmentWaiting, "temporal_workflow_id": "enroll/nurture"})
	_, e := f.publish(`{"name": "Stop everything", "start": "r1", "steps": [
		{"id": "r1", "type": "remove_from_workflow", "config": {"workflow_id": "` + w.ID + `"}, "next": "r2"},
		{"id": "r2", "type": "remove_from_workflow", "next": "r3"},
		{"id": "r3", "type": "add_tag", "config": {"tags": ["too-late"]}}]}`)
	f.run(f.env(), e, nil)

	if got := f.enrollment(waiting.ID); got.Status != models.EnrollmentExited || got.ExitReason != "removed by workflow Stop everything step r1" {
		t.Errorf("the other enrollment = %s %q, want exited by step r1", got.Status, got.ExitReason)
	}
	if !slices.Equal(rec.cancelled, []string{"enroll/nurture"}) {
		t.Errorf("runs cancelled = %v", rec.cancelled)
	}
	if got := f.enrollment(e.ID); got.Status != models.EnrollmentExited || got.ExitReason != "removed from workflow by step r2" {
		t.Errorf("own enrollment = %s %q, want exited by step r2", got.Status, got.ExitReason)
	}
	log := f.log(e.ID)
	if len(log) != 2 || log[0].Output["removed"] != float64(1) || log[1].StepID != "r2" || log[1].Status != models.StepCompleted {
		t.Errorf("execution log = %+v, want r1 (removed 1) and r2, nothing after", log)
	}
	c, _ := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if len(c.TagNames()) != 0 {
		t.Errorf("tags = %v: a step after the removal ran", c.TagNames())
	}
}

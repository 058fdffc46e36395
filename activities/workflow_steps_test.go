package activities_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
)

// workflowStepsFixture is an account with the contact Ada and the
// activities wired to the real enrollment service, whose Temporal calls a
// mock client records: the runs it starts and those it cancels.
type workflowStepsFixture struct {
	*fixture
	a         *activities.Activities
	defs      *definitions.Service
	mu        sync.Mutex
	started   []workflows.Input
	cancelled []string
}

func newWorkflowStepsFixture(t *testing.T) *workflowStepsFixture {
	t.Helper()
	f := &workflowStepsFixture{fixture: newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})}
	f.defs = &definitions.Service{DB: f.db}
	tc := &mocks.Client{}
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run")
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.started = append(f.started, args[0].(workflows.Input))
			return run, nil
		})
	tc.On("CancelWorkflow", mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, id, _ string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.cancelled = append(f.cancelled, id)
			return nil
		})
	enr := &enrollment.Service{DB: f.db, Temporal: tc}
	f.a = activities.New(activities.Options{DB: f.db, Contacts: f.cs, Enrollments: enr, Workflows: enr})
	return f
}

// workflow saves a workflow of the account (published unless draft) and returns its id.
func (f *workflowStepsFixture) workflow(t *testing.T, accountID, name string, reentry, publish bool) string {
	t.Helper()
	def := `{"name": "` + name + `", "settings": {"allow_reentry": ` + map[bool]string{true: "true", false: "false"}[reentry] + `},
		"start": "w", "steps": [{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}}]}`
	wf, _, err := f.defs.Create(context.Background(), accountID, []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	if publish {
		if _, err := f.defs.Publish(context.Background(), accountID, wf.ID); err != nil {
			t.Fatal(err)
		}
	}
	return wf.ID
}

// step is a step input of the contact's enrollment in workflowID with chain.
func (f *workflowStepsFixture) step(workflowID, enrollmentID string, chain []string, step string) workflows.StepInput {
	var s definition.Step
	if err := json.Unmarshal([]byte(step), &s); err != nil {
		panic(err)
	}
	return workflows.StepInput{
		Run: workflows.RunRef{AccountID: f.account.ID, WorkflowID: workflowID, Version: 1, ContactID: f.contact.ID,
			EnrollmentID: enrollmentID, Chain: chain},
		Step: s, Visit: 1, StartedAt: time.Now(),
	}
}

func (f *workflowStepsFixture) enrollments(t *testing.T, workflowID string) []models.Enrollment {
	t.Helper()
	var rows []models.Enrollment
	if err := f.db.Where("workflow_id = ?", workflowID).Order("entry_no").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func (f *workflowStepsFixture) finish(t *testing.T, id string) {
	t.Helper()
	if err := f.db.Model(&models.Enrollment{}).Where("id = ?", id).Update("status", models.EnrollmentCompleted).Error; err != nil {
		t.Fatal(err)
	}
}

// TestAddToWorkflowEnrollsOnceAndCarriesTheChain: the nested enrollment
// keeps the chain on its row and in its run's input; retries of the same
// call find it instead of enrolling again, even with re-entry on and the
// nested run already finished.
func TestAddToWorkflowEnrollsOnceAndCarriesTheChain(t *testing.T) {
	f := newWorkflowStepsFixture(t)
	a := f.workflow(t, f.account.ID, "Welcome", false, true)
	b := f.workflow(t, f.account.ID, "Onboarding", true, true)
	in := f.step(a, "enrA", []string{"wfRoot"}, `{"id": "s1", "type": "add_to_workflow", "config": {"workflow_id": "`+b+`"}}`)
	res, err := execute(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	rows := f.enrollments(t, b)
	if len(rows) != 1 {
		t.Fatalf("%d enrollments in B, want 1", len(rows))
	}
	e := rows[0]
	if res.Skipped || res.Output["enrollment_id"] != e.ID || res.Output["workflow_id"] != b || res.Output["created"] != true {
		t.Errorf("result = %+v, want enrollment %s created", res, e.ID)
	}
	if !slices.Equal(e.Chain, []string{"wfRoot", a}) || e.ContactID != f.contact.ID || e.AccountID != f.account.ID {
		t.Errorf("enrollment = %+v, want chain [wfRoot %s]", e, a)
	}
	if len(f.started) != 1 || !slices.Equal(f.started[0].Chain, e.Chain) || f.started[0].EnrollmentID != e.ID {
		t.Errorf("runs started = %+v, want one carrying the chain", f.started)
	}
	// The nested run finished; re-entry is on, yet a retry of this very
	// call reports the same enrollment and makes no other.
	f.finish(t, e.ID)
	for i := 0; i < 2; i++ {
		again, err := execute(t, f.a, in)
		if err != nil || again.Output["enrollment_id"] != e.ID || again.Output["created"] != true {
			t.Errorf("retry %d: %+v, %v", i+1, again, err)
		}
	}
	if n := len(f.enrollments(t, b)); n != 1 {
		t.Errorf("%d enrollments in B after retries, want 1", n)
	}
	// A later visit of the step is a new entry (re-entry on, last one finished).
	in.Visit = 2
	res, err = execute(t, f.a, in)
	if err != nil || res.Skipped || res.Output["created"] != true {
		t.Errorf("second visit: %+v, %v", res, err)
	}
	if n := len(f.enrollments(t, b)); n != 2 {
		t.Errorf("%d enrollments in B after a second visit, want 2", n)
	}
}

// TestAddToWorkflowFollowsReentryAndTheDepthLimit: with re-entry off the
// contact enters once (the step is skipped with why); at the depth limit
// the step is skipped naming the chain, and nothing is enrolled.
func TestAddToWorkflowFollowsReentryAndTheDepthLimit(t *testing.T) {
	f := newWorkflowStepsFixture(t)
	a := f.workflow(t, f.account.ID, "A", true, true)
	b := f.workflow(t, f.account.ID, "B", false, true)
	add := `{"id": "s1", "type": "add_to_workflow", "config": {"workflow_id": "` + b + `"}}`
	if _, err := execute(t, f.a, f.step(a, "enr1", nil, add)); err != nil {
		t.Fatal(err)
	}
	first := f.enrollments(t, b)[0]
	f.finish(t, first.ID)
	res, err := execute(t, f.a, f.step(a, "enr2", nil, add))
	if err != nil || !res.Skipped || res.Output["enrollment_id"] != first.ID || res.Output["created"] != false ||
		!strings.Contains(res.Reason, "was in workflow B before and its re-entry setting is off") {
		t.Errorf("re-entry off: %+v, %v", res, err)
	}
	// The enrollment at depth 5 (A → B → A → B → A above it, itself in B)
	// may not add a sixth.
	chain := []string{a, b, a, b, a}
	res, err = execute(t, f.a, f.step(b, "enr3", chain, `{"id": "s9", "type": "add_to_workflow", "config": {"workflow_id": "`+a+`"}}`))
	want := "not added to A: workflow chain A → B → A → B → A → B reached the depth limit of 5"
	if err != nil || !res.Skipped || res.Reason != want {
		t.Fatalf("at the limit: %+v, %v; want skipped with %q", res, err, want)
	}
	if n := len(f.enrollments(t, a)); n != 0 {
		t.Errorf("%d enrollments in A past the depth limit, want 0", n)
	}
	var row models.StepExecution
	if err := f.db.Where("enrollment_id = ? AND step_id = ?", "enr3", "s9").First(&row).Error; err != nil {
		t.Fatal(err)
	}
	if row.Status != models.StepSkipped || row.Output["reason"] != want {
		t.Errorf("execution log = %s %v, want skipped with the reason", row.Status, row.Output)
	}
}

// TestAddToWorkflowRefusesDraftsUnknownAndForeignWorkflows: all fail the
// step for good; another account's workflow reads exactly like an id of
// nothing, and nothing of that account is touched.
func TestAddToWorkflowRefusesDraftsUnknownAndForeignWorkflows(t *testing.T) {
	f := newWorkflowStepsFixture(t)
	a := f.workflow(t, f.account.ID, "A", false, true)
	draft := f.workflow(t, f.account.ID, "Draft", false, false)
	other := models.Account{ID: models.NewID(), Name: "Other", Timezone: "UTC"}
	if err := f.db.Create(&other).Error; err != nil {
		t.Fatal(err)
	}
	foreign := f.workflow(t, other.ID, "Theirs", true, true)
	add := func(id string) error {
		_, err := execute(t, f.a, f.step(a, models.NewID(), nil, `{"id": "s1", "type": "add_to_workflow", "config": {"workflow_id": "`+id+`"}}`))
		return err
	}
	failsForGood(t, add(draft), "is a draft")
	failsForGood(t, add("no-such-workflow"), `workflow "no-such-workflow" does not exist`)
	failsForGood(t, add(foreign), `workflow "`+foreign+`" does not exist`)
	if n := len(f.enrollments(t, foreign)) + len(f.enrollments(t, draft)); n != 0 {
		t.Errorf("%d enrollments made in refused workflows", n)
	}
	if len(f.started) != 0 {
		t.Errorf("runs started: %+v", f.started)
	}
}

// TestRemoveFromWorkflowEndsTheOtherEnrollmentsOnce: the contact's running
// enrollment in B ends as exited with the reason and its run is cancelled;
// a retry reports the same count; another account's enrollments and
// finished ones are untouched; removing itself asks the interpreter to exit.
func TestRemoveFromWorkflowEndsTheOtherEnrollmentsOnce(t *testing.T) {
	f := newWorkflowStepsFixture(t)
	a := f.workflow(t, f.account.ID, "Cleanup", false, true)
	b := f.workflow(t, f.account.ID, "Nurture", true, true)
	mk := func(accountID, workflowID, key, status string) string {
		e := models.Enrollment{ID: models.NewID(), AccountID: accountID, WorkflowID: workflowID, ContactID: f.contact.ID,
			EntryKey: key, Version: 1, Status: status, StartedAt: time.Now().UTC(), TemporalWorkflowID: "enroll/" + workflowID + "/" + key}
		if err := f.db.Create(&e).Error; err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	done := mk(f.account.ID, b, "1", models.EnrollmentCompleted)
	waiting := mk(f.account.ID, b, "2", models.EnrollmentWaiting)
	other := models.Account{ID: models.NewID(), Name: "Other", Timezone: "UTC"}
	if err := f.db.Create(&other).Error; err != nil {
		t.Fatal(err)
	}
	foreignWF := f.workflow(t, other.ID, "Theirs", true, true)
	foreign := mk(other.ID, foreignWF, "1", models.EnrollmentWaiting)

	in := f.step(a, "enrA", nil, `{"id": "r1", "type": "remove_from_workflow", "config": {"workflow_id": "`+b+`"}}`)
	for i := 0; i < 3; i++ {
		res, err := execute(t, f.a, in)
		if err != nil || res.Exit || res.Output["removed"] != float64(1) || res.Output["workflow_id"] != b {
			t.Fatalf("attempt %d: %+v, %v; want removed 1", i+1, res, err)
		}
	}
	status := func(id string) (string, string) {
		var e models.Enrollment
		if err := f.db.First(&e, "id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		return e.Status, e.ExitReason
	}
	if s, r := status(waiting); s != models.EnrollmentExited || r != "removed by workflow Cleanup step r1" {
		t.Errorf("waiting enrollment = %s %q, want exited by Cleanup", s, r)
	}
	if s, _ := status(done); s != models.EnrollmentCompleted {
		t.Errorf("finished enrollment = %s, want it left completed", s)
	}
	if len(f.cancelled) != 1 || f.cancelled[0] != "enroll/"+b+"/2" {
		t.Errorf("runs cancelled = %v, want only the waiting one's", f.cancelled)
	}

	res, err := execute(t, f.a, f.step(a, "enrA2", nil, `{"id": "r2", "type": "remove_from_workflow", "config": {"workflow_id": "`+foreignWF+`"}}`))
	if err != nil || res.Output["removed"] != float64(0) {
		t.Errorf("foreign workflow: %+v, %v; want removed 0", res, err)
	}
	if s, _ := status(foreign); s != models.EnrollmentWaiting {
		t.Errorf("another account's enrollment = %s, want it untouched", s)
	}

	res, err = execute(t, f.a, f.step(a, "enrA3", nil, `{"id": "r3", "type": "remove_from_workflow"}`))
	if err != nil || !res.Exit || res.Reason != "removed from workflow by step r3" {
		t.Errorf("removing itself: %+v, %v; want an exit", res, err)
	}
}

package activities_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
)

// A local action logs its end on the clock of its start (the workflow's,
// which trails the wall clock inside a workflow task): its start plus the
// time it took, not the wall clock, which would put it after the next
// step's start. The result carries that end for the interpreter.
func TestLocalActionLogsItsEndOnTheClockOfItsStart(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	in := f.input(`{"id": "t", "type": "add_tag", "config": {"tags": ["vip"]}}`)
	in.StartedAt = time.Now().Add(-time.Hour).UTC() // the workflow's clock, an hour behind
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	val, err := env.ExecuteLocalActivity(a.ExecuteStep, in)
	var res workflows.StepResult
	if err == nil {
		err = val.Get(&res)
	}
	if err != nil {
		t.Fatal(err)
	}
	row := stepRow(t, f)
	if row.FinishedAt == nil || row.FinishedAt.Before(in.StartedAt) || row.FinishedAt.After(in.StartedAt.Add(time.Minute)) {
		t.Errorf("finished_at = %v, want just after its start %v", row.FinishedAt, in.StartedAt)
	}
	if d := res.FinishedAt.Sub(*row.FinishedAt); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("result's FinishedAt = %v, want the logged %v", res.FinishedAt, row.FinishedAt)
	}
}

// A step's row written again with the outcome it has already (a workflow
// task run again, its local activities with it) keeps its first finish
// time; another outcome takes the new one.
func TestRecordingTheSameOutcomeAgainKeepsTheFirstFinish(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	ctx := context.Background()
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	record := func(status string, finished time.Time) time.Time {
		t.Helper()
		in := workflows.RecordStepInput{Run: workflows.RunRef{AccountID: f.account.ID, WorkflowID: "wf1", Version: 1, ContactID: f.contact.ID, EnrollmentID: "enr1"},
			Step: definition.Step{ID: "g", Type: "goal"}, Visit: 1, Status: status, StartedAt: start}
		if !finished.IsZero() {
			in.FinishedAt = &finished
		}
		if err := a.RecordStep(ctx, in); err != nil {
			t.Fatal(err)
		}
		row := stepRow(t, f)
		if !row.StartedAt.Equal(start) {
			t.Errorf("started_at = %v, want %v", row.StartedAt, start)
		}
		if row.FinishedAt == nil {
			return time.Time{}
		}
		return row.FinishedAt.UTC()
	}
	first := start.Add(time.Second)
	record(models.StepWaiting, time.Time{})
	logTimeEqual(t, "finished after the wait", record(models.StepCompleted, first), first)
	logTimeEqual(t, "finished when written again", record(models.StepCompleted, first.Add(40*time.Millisecond)), first)
	logTimeEqual(t, "finished with another outcome", record(models.StepSkipped, first.Add(time.Minute)), first.Add(time.Minute))
}

// add_tag, remove_tag and update_contact log "changed": [] when nothing
// changed, not null.
func TestStepsThatChangeNothingLogAnEmptyList(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Tags: &[]string{"vip"}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	for _, step := range []string{
		`{"id": "a", "type": "add_tag", "config": {"tags": ["vip"]}}`,
		`{"id": "r", "type": "remove_tag", "config": {"tags": ["absent"]}}`,
		`{"id": "u", "type": "update_contact", "config": {"fields": {"first_name": "Ada"}}}`,
	} {
		in := f.input(step)
		res, err := execute(t, a, in)
		if err != nil {
			t.Fatal(err)
		}
		if changed, ok := res.Output["changed"].([]any); !ok || len(changed) != 0 {
			t.Errorf("%s: changed = %#v, want []", in.Step.Type, res.Output["changed"])
		}
		var row models.StepExecution
		if err := f.db.Where("enrollment_id = ? AND step_id = ?", "enr1", in.Step.ID).First(&row).Error; err != nil {
			t.Fatal(err)
		}
		if changed, ok := row.Output["changed"].([]any); !ok || len(changed) != 0 {
			t.Errorf("%s: logged changed = %#v, want []", in.Step.Type, row.Output["changed"])
		}
	}
}

func logTimeEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// republish saves def as the workflow's definition and publishes it as its next version.
func (f *fixture) republish(wf *models.Workflow, def string) int {
	f.t.Helper()
	ctx := context.Background()
	if _, _, err := f.defs.Update(ctx, f.account.ID, wf.ID, []byte(def)); err != nil {
		f.t.Fatalf("saving the new definition: %v", err)
	}
	got, err := f.defs.Publish(ctx, f.account.ID, wf.ID)
	if err != nil {
		f.t.Fatalf("publishing: %v", err)
	}
	return got.Version
}

// migrateAt sends the migrate update at workflow time d and keeps its outcome.
type migration struct {
	accepted bool
	rejected error
	result   workflows.MigrateResult
	err      error
	done     bool
}

func migrateAt(env *testsuite.TestWorkflowEnvironment, d time.Duration, version int) *migration {
	m := &migration{}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateMigrate, "", &testsuite.TestUpdateCallback{
			OnAccept: func() { m.accepted = true },
			OnReject: func(err error) { m.rejected, m.done = err, true },
			OnComplete: func(v any, err error) {
				m.done, m.err = true, err
				if r, ok := v.(workflows.MigrateResult); ok {
					m.result = r
				}
			},
		}, workflows.MigrateRequest{Version: version})
	}, d)
	return m
}

func (f *fixture) tags() string {
	f.t.Helper()
	c, err := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Join(c.TagNames(), ",")
}

func (f *fixture) stepIDs(enrollmentID string) (ids string, rows map[string]models.StepExecution) {
	rows = map[string]models.StepExecution{}
	var out []string
	for _, r := range f.log(enrollmentID) {
		out = append(out, r.StepID)
		rows[r.StepID] = r
	}
	return strings.Join(out, ","), rows
}

const (
	threeDaysV1 = `{"name": "nurture", "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "s2"},
		{"id": "s2", "type": "add_tag", "config": {"tags": ["v1"]}}]}`
	threeDaysV2 = `{"name": "nurture", "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "s3"},
		{"id": "s3", "type": "add_tag", "config": {"tags": ["v2"]}}]}`
)

// TestMigrationDuringAWaitKeepsItsDeadlineAndTakesTheNewPath: a 3d wait
// moved to version 2 after one day still ends three days after it began,
// then the run walks version 2's path.
func TestMigrationDuringAWaitKeepsItsDeadlineAndTakesTheNewPath(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	wf, e := f.publish(threeDaysV1)
	v2 := f.republish(wf, threeDaysV2)
	env := f.env()
	start := env.Now()
	m := migrateAt(env, 24*time.Hour, v2)
	env.RegisterDelayedCallback(func() {
		got := f.enrollment(e.ID)
		_, rows := f.stepIDs(e.ID)
		if got.Version != v2 || got.Status != models.EnrollmentWaiting || got.CurrentStep != "s1" {
			t.Errorf("a day after the move: enrollment v%d %s at %s, want v%d waiting at s1", got.Version, got.Status, got.CurrentStep, v2)
		}
		if until := rows["s1"].Output["until"]; until != start.Add(72*time.Hour).UTC().Format(time.RFC3339) {
			t.Errorf("the wait now ends at %v; want 3d after it began (%v)", until, start.Add(72*time.Hour).UTC())
		}
	}, 48*time.Hour)
	f.run(env, e, nil)

	if !m.done || !m.accepted || m.rejected != nil || m.err != nil {
		t.Fatalf("migration: %+v", m)
	}
	if m.result != (workflows.MigrateResult{FromVersion: 1, ToVersion: v2, StepID: "s1"}) {
		t.Errorf("result = %+v", m.result)
	}
	if took := env.Now().Sub(start); took != 72*time.Hour {
		t.Errorf("the run took %v of workflow time; the wait must end 3d after it began", took)
	}
	ids, rows := f.stepIDs(e.ID)
	if ids != "s1,s3" {
		t.Errorf("execution log = %s, want s1 then version 2's s3", ids)
	}
	s1 := rows["s1"]
	if s1.Status != models.StepCompleted || s1.FinishedAt == nil || s1.FinishedAt.Sub(s1.StartedAt) != 72*time.Hour || s1.Visit != 1 {
		t.Errorf("s1 = %s visit %d from %v to %v; want one visit of exactly 3d", s1.Status, s1.Visit, s1.StartedAt, s1.FinishedAt)
	}
	if got := f.enrollment(e.ID); got.Version != v2 || got.Status != models.EnrollmentCompleted {
		t.Errorf("enrollment = v%d %s", got.Version, got.Status)
	}
	if tags := f.tags(); tags != "v2" {
		t.Errorf("tags = %q, want v2 only", tags)
	}
}

// TestMigrationToAVersionWithoutTheStepIsRefused: the step the contact
// waits at is gone from version 2, so the move fails with that reason and
// the run goes on, on version 1; a move to its own version is rejected.
func TestMigrationToAVersionWithoutTheStepIsRefused(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Bo")})
	wf, e := f.publish(`{"name": "nurture", "triggers": [], "start": "s0", "steps": [
		{"id": "s0", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "s2"},
		{"id": "s2", "type": "add_tag", "config": {"tags": ["v1"]}}]}`)
	v2 := f.republish(wf, threeDaysV2)
	env := f.env()
	start := env.Now()
	gone := migrateAt(env, 24*time.Hour, v2)
	same := migrateAt(env, 25*time.Hour, 1)
	f.run(env, e, nil)

	if !gone.done || gone.rejected != nil || gone.err == nil {
		t.Fatalf("migration to a version without the step: %+v", gone)
	}
	if want := `step "s0", where the contact waits, does not exist in version 2`; !strings.Contains(gone.err.Error(), want) {
		t.Errorf("refusal = %q, want it to say %q", gone.err, want)
	}
	if same.rejected == nil || same.accepted || !strings.Contains(same.rejected.Error(), "on version 1 already") {
		t.Errorf("migration to its own version: %+v", same)
	}
	if took := env.Now().Sub(start); took != 72*time.Hour {
		t.Errorf("the run took %v, want the 3d wait", took)
	}
	if ids, _ := f.stepIDs(e.ID); ids != "s0,s2" {
		t.Errorf("execution log = %s, want version 1's s0, s2", ids)
	}
	if got := f.enrollment(e.ID); got.Version != 1 || got.Status != models.EnrollmentCompleted {
		t.Errorf("enrollment = v%d %s, want completed on version 1", got.Version, got.Status)
	}
	if tags := f.tags(); tags != "v1" {
		t.Errorf("tags = %q, want v1", tags)
	}
}

// TestConcurrentMigrationsEndOnTheNewestVersion: two moves accepted at once
// (their handlers run side by side) leave the run on the newer version, the
// one the database records, whichever finishes last.
func TestConcurrentMigrationsEndOnTheNewestVersion(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	wf, e := f.publish(threeDaysV1)
	v2 := f.republish(wf, threeDaysV2)
	v3 := f.republish(wf, `{"name": "nurture", "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "s4"},
		{"id": "s4", "type": "add_tag", "config": {"tags": ["v3"]}}]}`)
	env := f.env()
	newer := migrateAt(env, 24*time.Hour, v3)
	older := migrateAt(env, 24*time.Hour, v2)
	f.run(env, e, nil)

	if !newer.done || newer.err != nil || newer.result.ToVersion != v3 {
		t.Errorf("move to v3: %+v", newer)
	}
	// The move to v2 either finished first (then v3 followed) or found v3 taken.
	if older.err != nil && !strings.Contains(older.err.Error(), fmt.Sprintf("moved to version %d meanwhile", v3)) {
		t.Errorf("move to v2: %v", older.err)
	}
	if got := f.enrollment(e.ID); got.Version != v3 {
		t.Errorf("enrollment on v%d, want v%d", got.Version, v3)
	}
	if ids, _ := f.stepIDs(e.ID); ids != "s1,s4" {
		t.Errorf("execution log = %s, want s1 then version 3's s4", ids)
	}
	if tags := f.tags(); tags != "v3" {
		t.Errorf("tags = %q, want v3", tags)
	}
}

// TestMigrationWhileAHeldTextIsSentIsRefused: a text held for the time
// window is logged as waiting, but once the window opens it is sending (here
// its first attempt failed and it retries 5 minutes later). A move asked for
// then must be refused: accepted, it would be applied after the text went on
// to version 1's next step, which version 2 does not have.
func TestMigrationWhileAHeldTextIsSentIsRefused(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Di"), Phone: ptr("+14155550127")})
	const window = `"settings": {"timezone": "UTC", "time_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}`
	wf, e := f.publish(`{"name": "held", ` + window + `, "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "send_sms", "config": {"body": "Good morning"}, "retry": {"initial_interval": "5m"}, "next": "s2"},
		{"id": "s2", "type": "add_tag", "config": {"tags": ["v1"]}}]}`)
	v2 := f.republish(wf, `{"name": "held", `+window+`, "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "send_sms", "config": {"body": "Good morning"}, "retry": {"initial_interval": "5m"}, "next": "s3"},
		{"id": "s3", "type": "add_tag", "config": {"tags": ["v2"]}}]}`)
	start := monday.Add(-5 * time.Hour) // 07:00 UTC: the window opens at 09:00
	env := f.envAt(start)
	var attempts atomic.Int32
	env.OnActivity(workflows.ActivityExecuteStep, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in workflows.StepInput) (workflows.StepResult, error) {
			if in.Step.ID == "s1" && attempts.Add(1) == 1 {
				return workflows.StepResult{}, errors.New("provider unavailable")
			}
			return f.acts.ExecuteStep(ctx, in)
		})
	m := migrateAt(env, 2*time.Hour+2*time.Minute, v2) // 09:02: the first attempt failed, the retry is at 09:05
	f.run(env, e, nil)

	if !m.done || (m.rejected == nil && m.err == nil) {
		t.Errorf("a move while the text was being sent: %+v, want it refused", m)
	}
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentCompleted || got.Version != 1 {
		t.Errorf("enrollment = v%d %s %q, want completed on version 1", got.Version, got.Status, got.ExitReason)
	}
	if tags := f.tags(); tags != "v1" {
		t.Errorf("tags = %q, want v1", tags)
	}
}

// TestMigrationWhileAWaitHoldsForItsResumeWindowKeepsItsEvent: the reply
// ended the wait outside the resume window; moved while it holds, the run
// goes on as replied in the new version, not by the wait's timeout.
func TestMigrationWhileAWaitHoldsForItsResumeWindowKeepsItsEvent(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Oz")})
	def := func(tag string) string {
		return `{"name": "w", "settings": {"timezone": "UTC"}, "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}], "timeout": "1d", "on_timeout": "late",
			"resume_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["` + tag + `"]}},
		{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`
	}
	wf, e := f.publish(def("replied-v1"))
	v2 := f.republish(wf, def("replied-v2"))
	env := f.envAt(monday)                                                         // 12:00 UTC
	signalAt(env, 6*time.Hour, workflows.Event{ID: "r", Type: "customer_replied"}) // 18:00: held until 09:00
	m := migrateAt(env, 8*time.Hour, v2)
	f.run(env, e, nil)
	if !m.done || m.err != nil || m.rejected != nil {
		t.Fatalf("migration: %+v", m)
	}
	mustEqual(t, "resumed at", env.Now().UTC(), monday.Add(21*time.Hour))
	mustEqual(t, "tags", f.tags(), "replied-v2")
}

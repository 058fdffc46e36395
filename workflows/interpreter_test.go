package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// fixture is one account with one contact and the services the activities use.
type fixture struct {
	t        *testing.T
	db       *gorm.DB
	account  models.Account
	contact  *models.Contact
	contacts *contacts.Service
	defs     *definitions.Service
	acts     *activities.Activities
}

func newFixture(t *testing.T, contact contacts.Input) *fixture {
	t.Helper()
	db := testdb.Open(t)
	f := &fixture{t: t, db: db, account: models.Account{ID: models.NewID(), Name: "Acme Dental", Timezone: "UTC"}}
	if err := db.Create(&f.account).Error; err != nil {
		t.Fatal(err)
	}
	f.contacts = &contacts.Service{DB: db}
	f.defs = &definitions.Service{DB: db}
	c, err := f.contacts.Create(context.Background(), f.account.ID, contact)
	if err != nil {
		t.Fatal(err)
	}
	f.contact = c
	f.acts = activities.New(activities.Options{DB: db, Contacts: f.contacts, AllowPrivate: true})
	return f
}

// publish saves and publishes a definition and returns an enrollment row for the contact.
func (f *fixture) publish(def string) (*models.Workflow, *models.Enrollment) {
	f.t.Helper()
	ctx := context.Background()
	wf, _, err := f.defs.Create(ctx, f.account.ID, []byte(def))
	if err != nil {
		f.t.Fatalf("saving definition: %v", err)
	}
	if wf, err = f.defs.Publish(ctx, f.account.ID, wf.ID); err != nil {
		f.t.Fatalf("publishing: %v", err)
	}
	e := &models.Enrollment{ID: models.NewID(), AccountID: f.account.ID, WorkflowID: wf.ID, ContactID: f.contact.ID,
		EntryKey: "1", EntryNo: 1, Version: wf.Version, Status: models.EnrollmentPending, StartedAt: time.Now().UTC()}
	if err := f.db.Create(e).Error; err != nil {
		f.t.Fatal(err)
	}
	return wf, e
}

func (f *fixture) env() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.Interpret, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
	f.acts.Register(env)
	return env
}

func (f *fixture) run(env *testsuite.TestWorkflowEnvironment, e *models.Enrollment, ev *workflows.Event) {
	f.t.Helper()
	env.ExecuteWorkflow(workflows.InterpretWorkflow, workflows.Input{RunRef: workflows.RunRef{AccountID: e.AccountID, WorkflowID: e.WorkflowID,
		Version: e.Version, ContactID: e.ContactID, EnrollmentID: e.ID}, Event: ev})
	if !env.IsWorkflowCompleted() {
		f.t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		f.t.Fatalf("workflow error: %v", err)
	}
}

// runFailing runs an enrollment that must fail: the enrollment's failure
// also fails its Temporal run, with the enrollment's reason.
func (f *fixture) runFailing(env *testsuite.TestWorkflowEnvironment, e *models.Enrollment, ev *workflows.Event) {
	f.t.Helper()
	env.ExecuteWorkflow(workflows.InterpretWorkflow, workflows.Input{RunRef: workflows.RunRef{AccountID: e.AccountID, WorkflowID: e.WorkflowID,
		Version: e.Version, ContactID: e.ContactID, EnrollmentID: e.ID}, Event: ev})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "EnrollmentFailed" || appErr.NonRetryable() == false {
		f.t.Fatalf("workflow error = %v, want a non-retryable EnrollmentFailed", err)
	}
}

func (f *fixture) enrollment(id string) models.Enrollment {
	var e models.Enrollment
	if err := f.db.First(&e, "id = ?", id).Error; err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *fixture) log(enrollmentID string) []models.StepExecution {
	var rows []models.StepExecution
	if err := f.db.Where("enrollment_id = ?", enrollmentID).Order("started_at, id").Find(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	return rows
}

func (f *fixture) messages() []models.Message {
	var rows []models.Message
	if err := f.db.Where("contact_id = ?", f.contact.ID).Order("id").Find(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	return rows
}

func ptr[T any](v T) *T { return &v }

const quickStart = `{
  "name": "New lead nurture",
  "triggers": [{"id": "t1", "type": "contact_tag_added", "filters": {"all": [{"field": "event.tag", "op": "is", "value": "lead"}]}}],
  "start": "s1",
  "steps": [
    {"id": "s1", "type": "send_sms", "name": "Welcome", "config": {"body": "Hi {{contact.first_name | default: \"there\"}}!"}, "next": "s2"},
    {"id": "s2", "type": "wait", "config": {"mode": "delay", "duration": "2d"}, "next": "s3"},
    {"id": "s3", "type": "if_else", "config": {
        "branches": [{"name": "Has email", "when": {"all": [{"field": "contact.email", "op": "is_not_empty"}]}, "next": "s4"}],
        "else": "s5"}},
    {"id": "s4", "type": "send_email", "config": {"subject": "Welcome {{contact.first_name}}", "body": "<p>Tag: {{event.tag}}</p>"}, "next": "s5"},
    {"id": "s5", "type": "add_tag", "config": {"tags": ["nurtured"]}}
  ]
}`

func TestQuickStartPathWithEmail(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com"), Phone: ptr("+14155550123")})
	_, e := f.publish(quickStart)
	env := f.env()
	start := env.Now()
	f.run(env, e, &workflows.Event{ID: "ev1", Type: "contact_tag_added", Data: map[string]any{"tag": "lead"}})

	if waited := env.Now().Sub(start); waited < 48*time.Hour {
		t.Errorf("the run took %v of workflow time; the 2d wait should have passed", waited)
	}
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentCompleted || got.FinishedAt == nil {
		t.Errorf("enrollment = %s (finished %v), want completed", got.Status, got.FinishedAt)
	}
	msgs := f.messages()
	if len(msgs) != 2 {
		t.Fatalf("messages = %d, want sms and email", len(msgs))
	}
	if msgs[0].Channel != "sms" || msgs[0].Body != "Hi Ada!" || msgs[0].To != "+14155550123" || msgs[0].Status != models.MessageRecorded {
		t.Errorf("sms = %+v", msgs[0])
	}
	if msgs[1].Channel != "email" || msgs[1].Subject != "Welcome Ada" || msgs[1].Body != "<p>Tag: lead</p>" {
		t.Errorf("email = %+v", msgs[1])
	}
	var steps []string
	for _, r := range f.log(e.ID) {
		if r.Status != models.StepCompleted || r.FinishedAt == nil {
			t.Errorf("step %s status %s finished %v", r.StepID, r.Status, r.FinishedAt)
		}
		steps = append(steps, r.StepID)
	}
	if strings.Join(steps, ",") != "s1,s2,s3,s4,s5" {
		t.Errorf("execution log = %v", steps)
	}
	c, _ := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if strings.Join(c.TagNames(), ",") != "nurtured" {
		t.Errorf("tags = %v, want nurtured", c.TagNames())
	}
}

func TestQuickStartPathWithoutEmailSkipsTheEmail(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Bo"), Phone: ptr("+14155550124")})
	_, e := f.publish(quickStart)
	f.run(f.env(), e, &workflows.Event{Type: "contact_tag_added", Data: map[string]any{"tag": "lead"}})
	var branch string
	for _, r := range f.log(e.ID) {
		if r.StepID == "s4" {
			t.Error("the email step ran for a contact without email")
		}
		if r.StepID == "s3" {
			branch, _ = r.Output["branch"].(string)
		}
	}
	if branch != "None" {
		t.Errorf("branch = %q, want None", branch)
	}
	if n := len(f.messages()); n != 1 {
		t.Errorf("messages = %d, want only the sms", n)
	}
}

func TestWaitIsLoggedAsWaitingUntilTheTimerFires(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy"), Phone: ptr("+14155550125")})
	_, e := f.publish(quickStart)
	env := f.env()
	env.RegisterDelayedCallback(func() {
		got := f.enrollment(e.ID)
		if got.Status != models.EnrollmentWaiting || got.CurrentStep != "s2" {
			t.Errorf("during the wait: enrollment %s at %s, want waiting at s2", got.Status, got.CurrentStep)
		}
		for _, r := range f.log(e.ID) {
			if r.StepID == "s2" && (r.Status != models.StepWaiting || r.Output["until"] == nil) {
				t.Errorf("during the wait: step s2 = %s %v", r.Status, r.Output)
			}
		}
	}, 24*time.Hour)
	f.run(env, e, nil)
}

func TestGotoLoopWithWaitContinuesAsNewAndSendsOncePerVisit(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Di"), Phone: ptr("+14155550126")})
	_, e := f.publish(`{"name": "loop", "triggers": [], "start": "a", "steps": [
		{"id": "a", "type": "send_sms", "config": {"body": "ping"}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "c"},
		{"id": "c", "type": "if_else", "config": {"branches": [{"name": "done", "when": {"field": "contact.tags", "op": "has_tag", "value": "stop"}, "next": "e"}], "else": "g"}},
		{"id": "g", "type": "goto", "config": {"step": "a"}},
		{"id": "e", "type": "end", "config": {"reason": "stopped"}}
	]}`)
	// The loop outlives one run's step budget: follow each continue-as-new
	// into a fresh run, as the server would, carrying the cursor.
	in := workflows.Input{RunRef: workflows.RunRef{AccountID: e.AccountID, WorkflowID: e.WorkflowID, Version: e.Version, ContactID: e.ContactID, EnrollmentID: e.ID}}
	stopAt, elapsed, runs := 100*time.Hour+30*time.Minute, time.Duration(0), 0
	for {
		runs++
		env := f.env()
		start := env.Now()
		if left := stopAt - elapsed; left > 0 {
			env.RegisterDelayedCallback(func() {
				if _, err := f.contacts.AddTags(context.Background(), f.account.ID, f.contact.ID, []string{"stop"}); err != nil {
					t.Error(err)
				}
			}, left)
		}
		if runs == 1 { // a reply arrives (twice: a sweep re-delivered it) during the first run
			for i := 0; i < 2; i++ {
				env.RegisterDelayedCallback(func() {
					env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "ev-reply", Type: "customer_replied"})
				}, 30*time.Minute)
			}
		}
		env.ExecuteWorkflow(workflows.InterpretWorkflow, in)
		elapsed += env.Now().Sub(start)
		var can *workflow.ContinueAsNewError
		err := env.GetWorkflowError()
		if !errors.As(err, &can) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		in = workflows.Input{}
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
			t.Fatal(err)
		}
		if in.Cursor == nil || in.Cursor.StepID == "" {
			t.Fatalf("continue-as-new carried no cursor: %+v", in)
		}
		if ev := in.Cursor.Events; len(ev) != 1 || ev[0].ID != "ev-reply" {
			t.Errorf("continue-as-new carried events %+v, want the reply once", ev)
		}
	}
	if runs < 2 {
		t.Errorf("the loop ran in %d run(s); 505 steps should continue as new at least once", runs)
	}
	var final models.Enrollment
	f.db.First(&final, "id = ?", e.ID)
	if final.Status != models.EnrollmentCompleted || final.ExitReason != "stopped" {
		t.Errorf("enrollment = %s %q", final.Status, final.ExitReason)
	}
	// 101 visits of the send step: one message per visit, never more.
	if n := len(f.messages()); n != 101 {
		t.Errorf("messages = %d, want 101 (one per loop)", n)
	}
}

func TestFailingWebhookFailsTheEnrollmentWithItsMessage(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":"boom"}`))
	}))
	defer srv.Close()
	f := newFixture(t, contacts.Input{FirstName: ptr("Ed")})
	_, e := f.publish(`{"name": "hook", "triggers": [], "start": "h", "steps": [
		{"id": "h", "type": "webhook", "config": {"url": "` + srv.URL + `"}, "retry": {"max_attempts": 3, "initial_interval": "1s"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["after"]}}
	]}`)
	f.runFailing(f.env(), e, nil)
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentFailed || !strings.Contains(got.ExitReason, "answered 500") {
		t.Errorf("enrollment = %s %q, want failed with the webhook's answer", got.Status, got.ExitReason)
	}
	if calls.Load() != 3 {
		t.Errorf("webhook called %d times, want 3 attempts", calls.Load())
	}
	rows := f.log(e.ID)
	if len(rows) != 1 || rows[0].Status != models.StepFailed || rows[0].Attempts != 3 || !strings.Contains(rows[0].Error, "boom") {
		t.Errorf("log = %+v", rows)
	}
}

func TestWebhookPostsContactAndEventAndOnFailureContinue(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == "" {
			t.Error("no Idempotency-Key header")
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id": 42}`))
	}))
	defer srv.Close()
	f := newFixture(t, contacts.Input{FirstName: ptr("Flo"), Email: ptr("flo@example.com")})
	_, e := f.publish(`{"name": "hook", "triggers": [], "start": "h", "steps": [
		{"id": "h", "type": "webhook", "config": {"url": "` + srv.URL + `/hook"}, "next": "u"},
		{"id": "u", "type": "update_contact", "config": {"fields": {"custom.remote_id": "{{steps.h.response.body.id}}", "last_name": "Lovelace"}}, "next": "bad"},
		{"id": "bad", "type": "webhook", "config": {"url": "` + srv.URL + `/../nowhere/{{contact.custom.nope}}"}, "on_failure": "continue", "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["done"]}}
	]}`)
	f.run(f.env(), e, &workflows.Event{Type: "contact_tag_added", Data: map[string]any{"tag": "vip"}})
	contact, _ := got["contact"].(map[string]any)
	event, _ := got["event"].(map[string]any)
	if contact["email"] != "flo@example.com" || event["tag"] != "vip" {
		t.Errorf("webhook body = %v", got)
	}
	c, _ := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if c.Custom["remote_id"] != "42" || c.LastName != "Lovelace" {
		t.Errorf("contact after update = %+v", c)
	}
	if f.enrollment(e.ID).Status != models.EnrollmentCompleted {
		t.Errorf("enrollment = %s", f.enrollment(e.ID).Status)
	}
}

// A retry interval longer than the default 5m cap is the step's to choose:
// the step is retried after it (Temporal refuses a retry policy whose
// maximum interval is below its initial one: the run could not even start
// the step, and on a real server it would retry that workflow task forever).
func TestRetryIntervalLongerThanTheDefaultCap(t *testing.T) {
	srv, calls := failingOnce(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Lou")})
	_, e := f.publish(`{"name": "slow retry", "triggers": [], "start": "h", "steps": [
		{"id": "h", "type": "webhook", "config": {"url": "` + srv.URL + `"}, "retry": {"initial_interval": "30m"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["hooked"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	mustEqual(t, "calls", calls.Load(), int32(2))
	mustEqual(t, "retried at", env.Now().UTC(), monday.Add(30*time.Minute))
	mustEqual(t, "log", f.ran(e.ID), "h:completed,t:completed")
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/schedules"
	"github.com/crmflow/crmflow/workflows"
)

// startDevWithLoopbackWebhooks boots crmflow dev like startDev, with webhooks allowed to
// reach the loopback test server.
func startDevWithLoopbackWebhooks(t *testing.T) *Dev {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(t.TempDir(), ".crmflow"), APIAddr: "127.0.0.1:0", UIPort: -1,
		Config:        config.Config{LogFormat: "text", TemporalNamespace: "default", WebhookAllowPrivate: true},
		SweepInterval: time.Second})
	if err != nil {
		t.Fatalf("starting crmflow dev: %v", err)
	}
	return d
}

// fire triggers a schedule now and returns what the run it started did.
func fire(t *testing.T, d *Dev, scheduleID string) workflows.EnrollScheduledResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := d.App.Temporal.ScheduleClient().GetHandle(ctx, scheduleID)
	before, err := h.Describe(ctx)
	if err != nil {
		t.Fatalf("describing %s: %v", scheduleID, err)
	}
	// Runs are named by their nominal time to the second: one a second.
	time.Sleep(1100 * time.Millisecond)
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatalf("triggering %s: %v", scheduleID, err)
	}
	for {
		desc, err := h.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(desc.Info.RecentActions); n > len(before.Info.RecentActions) || desc.Info.NumActions > before.Info.NumActions {
			last := desc.Info.RecentActions[n-1].StartWorkflowResult
			var res workflows.EnrollScheduledResult
			if err := d.App.Temporal.GetWorkflow(ctx, last.WorkflowID, last.FirstExecutionRunID).Get(ctx, &res); err != nil {
				t.Fatalf("run %s of %s: %v", last.WorkflowID, scheduleID, err)
			}
			return res
		}
		if ctx.Err() != nil {
			t.Fatalf("schedule %s started no run", scheduleID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func enrollmentsOf(t *testing.T, d *Dev, workflowID string) []struct{ ID, ContactID, Status string } {
	t.Helper()
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			ContactID string `json:"contact_id"`
			Status    string `json:"status"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows/"+workflowID+"/enrollments", nil, &list)
	out := make([]struct{ ID, ContactID, Status string }, len(list.Items))
	for i, e := range list.Items {
		out[i].ID, out[i].ContactID, out[i].Status = e.ID, e.ContactID, e.Status
	}
	return out
}

func scheduleGone(t *testing.T, d *Dev, id string) bool {
	_, err := d.App.Temporal.ScheduleClient().GetHandle(context.Background(), id).Describe(context.Background())
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// TestReminderSchedulesEnrollDueContactsOnce publishes birthday and custom
// date reminders, checks their schedules in Temporal, fires them by hand
// (twice, then once more) and sees exactly the due contacts enrolled, once;
// drafting deletes the schedules.
func TestReminderSchedulesEnrollDueContactsOnce(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	today := time.Now().UTC()
	var born, notBorn, renews, renewsTomorrow struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Birthday", "date_of_birth": today.AddDate(-30, 0, 0).Format(time.DateOnly)}, &born)
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Other day", "date_of_birth": today.AddDate(-30, 0, 1).Format(time.DateOnly)}, &notBorn)
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Renews", "custom": map[string]any{"renewal": today.Format(time.DateOnly)}}, &renews)
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Renews later", "custom": map[string]any{"renewal": today.AddDate(0, 0, 1).Format(time.DateOnly)}}, &renewsTomorrow)

	var wf struct {
		ID string `json:"id"`
	}
	if code := call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "reminders", "settings": {"timezone": "UTC"},
		"triggers": [{"id": "bday", "type": "birthday_reminder", "config": {"offset_days": 0, "time": "00:00"}},
		             {"id": "renewal", "type": "custom_date_reminder", "config": {"field": "custom.renewal", "time": "00:00"}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["reminded"]}}]}`), &wf); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	bday, renewal := schedules.ID(wf.ID, "bday"), schedules.ID(wf.ID, "renewal")
	desc, err := d.App.Temporal.ScheduleClient().GetHandle(context.Background(), bday).Describe(context.Background())
	if err != nil {
		t.Fatalf("publishing made no schedule %s: %v", bday, err)
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || action.Workflow != workflows.ScheduleFiredWorkflow || len(desc.Schedule.Spec.Calendars) != 1 ||
		desc.Schedule.Spec.Calendars[0].Hour[0].Start != 0 || desc.Schedule.Spec.TimeZoneName != "UTC" {
		t.Errorf("schedule %s = %+v, action %+v", bday, desc.Schedule.Spec, desc.Schedule.Action)
	}
	if len(desc.Info.NextActionTimes) == 0 || !desc.Info.NextActionTimes[0].Equal(today.Truncate(24*time.Hour).Add(24*time.Hour)) {
		t.Errorf("next run of %s = %v, want next midnight UTC", bday, desc.Info.NextActionTimes)
	}

	if res := fire(t, d, bday); res.Enrolled != 1 {
		t.Errorf("first birthday run enrolled %d (%s), want 1", res.Enrolled, res.Skipped)
	}
	for i := 0; i < 2; i++ {
		if res := fire(t, d, bday); res.Enrolled != 0 {
			t.Errorf("birthday run %d enrolled %d again", i+2, res.Enrolled)
		}
	}
	if res := fire(t, d, renewal); res.Enrolled != 1 {
		t.Errorf("renewal run enrolled %d (%s), want 1", res.Enrolled, res.Skipped)
	}
	got := map[string]string{}
	for _, e := range enrollmentsOf(t, d, wf.ID) {
		if got[e.ContactID] != "" {
			t.Errorf("contact %s enrolled twice", e.ContactID)
		}
		got[e.ContactID] = e.ID
	}
	if len(got) != 2 || got[born.ID] == "" || got[renews.ID] == "" {
		t.Fatalf("enrolled %v, want exactly the birthday (%s) and the renewal (%s)", got, born.ID, renews.ID)
	}
	waitFor(t, d, got[born.ID], "completed")
	var c struct {
		Tags []string `json:"tags"`
	}
	call(t, d, "GET", "/v1/contacts/"+born.ID, nil, &c)
	if len(c.Tags) != 1 || c.Tags[0] != "reminded" {
		t.Errorf("tags of the birthday contact = %v", c.Tags)
	}

	// Republishing keeps the schedules (updated in place); drafting deletes them.
	call(t, d, "PUT", "/v1/workflows/"+wf.ID, json.RawMessage(`{"name": "reminders", "settings": {"timezone": "UTC"},
		"triggers": [{"id": "bday", "type": "birthday_reminder", "config": {"offset_days": -1, "time": "07:45"}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["reminded"]}}]}`), nil)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("republish: %d", code)
	}
	desc, err = d.App.Temporal.ScheduleClient().GetHandle(context.Background(), bday).Describe(context.Background())
	if err != nil || desc.Schedule.Spec.Calendars[0].Hour[0].Start != 7 || desc.Schedule.Spec.Calendars[0].Minute[0].Start != 45 {
		t.Errorf("republished schedule: %v %+v", err, desc)
	}
	if !scheduleGone(t, d, renewal) {
		t.Errorf("the removed trigger's schedule %s is still there", renewal)
	}
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/draft", nil, nil); code != 200 {
		t.Fatalf("draft: %d", code)
	}
	if !scheduleGone(t, d, bday) {
		t.Errorf("drafting left schedule %s", bday)
	}
}

// TestSchedulerRunsContactFreeSteps publishes a daily scheduler whose steps
// call a webhook (runs without a contact) and send an SMS (needs one: is
// skipped), fires it twice, and sees one run that day.
func TestSchedulerRunsContactFreeSteps(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok": true}`)
	}))
	defer hook.Close()
	d := startDevWithLoopbackWebhooks(t)
	defer d.Stop()
	var wf struct {
		ID string `json:"id"`
	}
	body := fmt.Sprintf(`{"name": "nightly report", "settings": {"timezone": "account"},
		"triggers": [{"id": "nightly", "type": "scheduler", "config": {"frequency": "daily", "time": "00:00"}}],
		"start": "hook", "steps": [
			{"id": "hook", "type": "webhook", "config": {"url": %q}, "next": "sms"},
			{"id": "sms", "type": "send_sms", "config": {"body": "hi"}}]}`, hook.URL)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(body), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	id := schedules.ID(wf.ID, "nightly")
	if res := fire(t, d, id); res.Enrolled != 1 {
		t.Fatalf("scheduler run enrolled %d (%s), want 1", res.Enrolled, res.Skipped)
	}
	if res := fire(t, d, id); res.Enrolled != 0 {
		t.Errorf("a second run the same day enrolled %d", res.Enrolled)
	}
	list := enrollmentsOf(t, d, wf.ID)
	if len(list) != 1 || list[0].ContactID != "" {
		t.Fatalf("enrollments = %+v, want one without a contact", list)
	}
	waitFor(t, d, list[0].ID, "completed")
	var e struct {
		TemporalWorkflowID string `json:"temporal_workflow_id"`
		Steps              []struct {
			StepID string         `json:"step_id"`
			Status string         `json:"status"`
			Output map[string]any `json:"output"`
		} `json:"steps"`
	}
	call(t, d, "GET", "/v1/enrollments/"+list[0].ID, nil, &e)
	if len(e.Steps) != 2 || e.Steps[0].Status != "completed" || e.Steps[1].Status != "skipped" || e.Steps[1].Output["reason"] == nil {
		t.Errorf("steps = %+v", e.Steps)
	}
	if hits.Load() != 1 {
		t.Errorf("webhook called %d times, want 1", hits.Load())
	}
	want := "enroll/" + wf.ID + "/no-contact/scheduler:" + time.Now().UTC().Format(time.DateOnly) + "/1"
	if e.TemporalWorkflowID != want {
		t.Errorf("run id %q, want %q", e.TemporalWorkflowID, want)
	}
	var msgs struct {
		Items []any `json:"items"`
	}
	call(t, d, "GET", "/v1/messages", nil, &msgs)
	if len(msgs.Items) != 0 {
		t.Errorf("messages = %v", msgs.Items)
	}
	if code := call(t, d, "DELETE", "/v1/workflows/"+wf.ID, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if !scheduleGone(t, d, id) {
		t.Errorf("deleting the workflow left schedule %s", id)
	}
}

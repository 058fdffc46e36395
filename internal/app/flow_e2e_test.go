package app

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReplyEndsAnEventWaitEarly: a contact texted a question waits for a
// reply (an hour at most); the reply that Twilio posts to the webhook ends
// the wait at once, and the step after it reads what was said.
func TestReplyEndsAnEventWaitEarly(t *testing.T) {
	d, tw := startDevWithTwilio(t)
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "Confirm", "triggers": [], "start": "ask", "steps": [
		{"id": "ask", "type": "send_sms", "config": {"body": "Reply YES to confirm"}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied",
			"filters": {"field": "event.body", "op": "contains", "value": "yes"}}], "timeout": "1h", "on_timeout": "nudge"}, "next": "thanks"},
		{"id": "thanks", "type": "send_sms", "config": {"body": "Thanks! You said: {{steps.w.event.body}}"}},
		{"id": "nudge", "type": "add_tag", "config": {"tags": ["no-answer"]}}]}`), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	var e enrollmentView
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e); code != 201 {
		t.Fatalf("enroll: %d", code)
	}
	waitFor(t, d, e.ID, "waiting")
	textIn(t, d, tw.AuthToken, "SM0200", "+14155550123", "hmm, what time?") // no match: still waiting
	textIn(t, d, tw.AuthToken, "SM0201", "+14155550123", "yes, see you")
	got := waitFor(t, d, e.ID, "completed")
	var path []string
	for _, s := range got.Steps {
		path = append(path, s.StepID+":"+s.Status)
	}
	if joined := strings.Join(path, ","); joined != "ask:completed,w:completed,thanks:completed" {
		t.Errorf("execution log = %s", joined)
	}
	msgs := tw.Messages()
	if len(msgs) != 2 || msgs[1].Body != "Thanks! You said: yes, see you" {
		t.Errorf("Twilio got %+v", msgs)
	}
}

// TestGoalEventFromTheAPIJumpsOverAWait: an event posted to /v1/events
// meets a goal while the contact waits; the contact skips to the goal.
func TestGoalEventFromTheAPIJumpsOverAWait(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Bo", "email": "bo@example.com"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "Until paid", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "remind"},
		{"id": "remind", "type": "send_email", "config": {"subject": "Your invoice", "body": "<p>Please pay</p>"}, "next": "paid"},
		{"id": "paid", "type": "goal", "config": {"events": [{"type": "payment_received", "filters": {"field": "event.amount", "op": "gte", "value": 49}}]}, "next": "thanks"},
		{"id": "thanks", "type": "add_tag", "config": {"tags": ["customer"]}}]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e)
	waitFor(t, d, e.ID, "waiting")
	post := func(id string, amount int) {
		if code := call(t, d, "POST", "/v1/events", map[string]any{"id": id, "type": "payment_received",
			"contact": map[string]any{"id": contact.ID}, "data": map[string]any{"amount": amount, "currency": "usd"}}, nil); code != 202 {
			t.Fatalf("posting event: %d", code)
		}
	}
	post("pay-small", 5) // below the goal's filter
	post("pay-full", 49)
	got := waitFor(t, d, e.ID, "completed")
	var path []string
	for _, s := range got.Steps {
		path = append(path, s.StepID+":"+s.Status)
	}
	if joined := strings.Join(path, ","); joined != "w:completed,paid:completed,thanks:completed" {
		t.Errorf("execution log = %s", joined)
	}
	var stats struct {
		GoalReached int `json:"goal_reached"`
	}
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/stats", nil, &stats)
	if stats.GoalReached != 1 {
		t.Errorf("goal_reached = %d, want 1", stats.GoalReached)
	}
}

// TestLastStepThatRaisesAnEventRunsOnce: a run's last step changes the
// contact, whose change event reaches the run as it completes; Temporal
// refuses that completion and runs the workflow task again. The step must
// not run twice (it counts up once) and its log keeps what it did.
func TestLastStepThatRaisesAnEventRunsOnce(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Cy"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "Count visits", "triggers": [], "start": "n", "steps": [
		{"id": "n", "type": "update_contact", "config": {"fields": {"custom.visits": "{{contact.custom.visits | default: 0 | plus: 1}}"}}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["counted"]}}]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e)
	waitFor(t, d, e.ID, "completed")
	var got struct {
		Custom map[string]any `json:"custom"`
	}
	call(t, d, "GET", "/v1/contacts/"+contact.ID, nil, &got)
	if got.Custom["visits"] != "1" {
		t.Errorf("visits = %v, want 1: the step ran more than once", got.Custom["visits"])
	}
	var full struct {
		Steps []struct {
			StepID string         `json:"step_id"`
			Output map[string]any `json:"output"`
		} `json:"steps"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &full)
	for _, s := range full.Steps {
		if s.StepID == "t" && s.Output["changed"] == nil {
			t.Errorf("add_tag logged %v: the tag it added is not reported as changed", s.Output)
		}
	}
}

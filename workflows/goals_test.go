package workflows_test

import (
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// Two goals: booking skips the nurture to "booked"; paying skips to "paid".
const nurtureWithGoals = `{"name": "nurture", "triggers": [], "start": "s1", "steps": [
	{"id": "s1", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "s2"},
	{"id": "s2", "type": "send_sms", "config": {"body": "Still interested?"}, "next": "booked"},
	{"id": "booked", "type": "goal", "config": {"events": [{"type": "appointment_booked", "filters": {"field": "event.calendar_id", "op": "is", "value": "sales"}}]}, "next": "s3"},
	{"id": "s3", "type": "add_tag", "config": {"tags": ["booked"]}, "next": "paid"},
	{"id": "paid", "type": "goal", "config": {"events": [{"type": "payment_received"}], "if_unmet": "wait", "timeout": "2d"}, "next": "s4"},
	{"id": "s4", "type": "add_tag", "config": {"tags": ["customer"]}}]}`

func TestGoalEventDuringAWaitJumpsToTheGoal(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Phone: ptr("+14155550123")})
	_, e := f.publish(nurtureWithGoals)
	env := f.envAt(monday)
	// A booking on another calendar does not meet the goal's filter.
	signalAt(env, time.Hour, workflows.Event{ID: "b0", Type: "appointment_booked", Data: map[string]any{"calendar_id": "support"}})
	signalAt(env, 2*time.Hour, workflows.Event{ID: "b1", Type: "appointment_booked", Data: map[string]any{"calendar_id": "sales"}})
	signalAt(env, 5*time.Hour, workflows.Event{ID: "p1", Type: "payment_received", Data: map[string]any{"amount": 49}})
	f.run(env, e, nil)
	// The 3-day wait ended at the booking; the text never went out; the
	// "paid" goal waited for the payment that came at 5h.
	mustEqual(t, "end", env.Now().UTC(), monday.Add(5*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "s1:completed,booked:completed,s3:completed,paid:completed,s4:completed")
	mustEqual(t, "interrupted wait", f.row(e.ID, "s1").Output["ended_by_goal"], any("booked"))
	mustEqual(t, "goal met", f.row(e.ID, "booked").Output["met"], any(true))
	if n := len(f.messages()); n != 0 {
		t.Errorf("messages = %d: the step skipped by the goal sent", n)
	}
	got := f.enrollment(e.ID)
	mustEqual(t, "status", got.Status, models.EnrollmentCompleted)
}

func TestGoalReachedInSequenceUnmetEndsByDefault(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Bo"), Phone: ptr("+14155550124")})
	_, e := f.publish(nurtureWithGoals)
	env := f.envAt(monday)
	f.run(env, e, nil)
	got := f.enrollment(e.ID)
	mustEqual(t, "status", got.Status, models.EnrollmentExited)
	mustEqual(t, "reason", got.ExitReason, "goal booked not met")
	mustEqual(t, "log", f.ran(e.ID), "s1:completed,s2:completed,booked:skipped")
}

func TestGoalUnmetContinueAndWaitWithTimeout(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	_, e := f.publish(`{"name": "g", "triggers": [], "start": "g1", "steps": [
		{"id": "g1", "type": "goal", "config": {"events": [{"type": "form_submitted"}], "if_unmet": "continue"}, "next": "g2"},
		{"id": "g2", "type": "goal", "config": {"events": [{"type": "payment_received"}], "if_unmet": "wait", "timeout": "2d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["paid"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	mustEqual(t, "timeout", env.Now().UTC(), monday.Add(48*time.Hour))
	got := f.enrollment(e.ID)
	mustEqual(t, "status", got.Status, models.EnrollmentExited)
	mustEqual(t, "reason", got.ExitReason, "goal g2 not met before its timeout")
	mustEqual(t, "log", f.ran(e.ID), "g1:skipped,g2:skipped")
}

// An event of a goal behind the contact jumps back to it (once: a goal met
// is not jumped to again).
func TestGoalBehindTheContactIsJumpedToOnce(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Di")})
	_, e := f.publish(`{"name": "g", "triggers": [], "start": "g", "steps": [
		{"id": "g", "type": "goal", "config": {"events": [{"type": "contact_tag_added", "filters": {"field": "event.tag", "op": "is", "value": "vip"}}], "if_unmet": "continue"}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["done"]}}]}`)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "v1", Type: "contact_tag_added", Data: map[string]any{"tag": "vip"}})
	signalAt(env, 2*time.Hour, workflows.Event{ID: "v2", Type: "contact_tag_added", Data: map[string]any{"tag": "vip"}})
	f.run(env, e, nil)
	// g skipped, w interrupted at 1h, g met, w waits a full day from 1h, t.
	mustEqual(t, "end", env.Now().UTC(), monday.Add(25*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "g:skipped,w:completed,g:completed,w:completed,t:completed")
}

// One event can meet several goals: the run jumps to the first, and the
// others count as met when the contact reaches them in sequence.
func TestAnEventMeetsEveryGoalItMatches(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Eve")})
	_, e := f.publish(`{"name": "spend", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "7d"}, "next": "g50"},
		{"id": "g50", "type": "goal", "config": {"events": [{"type": "order_submitted", "filters": {"field": "event.total", "op": "gte", "value": 50}}]}, "next": "t50"},
		{"id": "t50", "type": "add_tag", "config": {"tags": ["spent-50"]}, "next": "g100"},
		{"id": "g100", "type": "goal", "config": {"events": [{"type": "order_submitted", "filters": {"field": "event.total", "op": "gte", "value": 100}}]}, "next": "t100"},
		{"id": "t100", "type": "add_tag", "config": {"tags": ["spent-100"]}, "next": "g500"},
		{"id": "g500", "type": "goal", "config": {"events": [{"type": "order_submitted", "filters": {"field": "event.total", "op": "gte", "value": 500}}]}}]}`)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "o1", Type: "order_submitted", Data: map[string]any{"total": 200}})
	f.run(env, e, nil)
	mustEqual(t, "end", env.Now().UTC(), monday.Add(time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,g50:completed,t50:completed,g100:completed,t100:completed,g500:skipped")
	got := f.enrollment(e.ID)
	mustEqual(t, "reason", got.ExitReason, "goal g500 not met")
}

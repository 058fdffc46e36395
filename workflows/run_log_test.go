package workflows_test

import (
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// The README's own until example: "{{contact.custom.renewal}} 09:00" on a
// contact without renewal renders only a time of day, which is an empty
// field (if_passed at once, with a reason that says there was no date), not
// a time that fails the step. With the field set, it waits until then.
func TestUntilATimeOfDayWithoutItsDateIsAnEmptyField(t *testing.T) {
	for _, at := range []string{"{{contact.custom.renewal}} 09:00", "{{contact.custom.renewal}}T09:00:00"} {
		t.Run(at, func(t *testing.T) {
			def := `{"name": "u", "triggers": [], "start": "w", "steps": [
				{"id": "w", "type": "wait", "config": {"mode": "until", "at": "` + at + `", "if_passed": "exit"}, "next": "t"},
				{"id": "t", "type": "add_tag", "config": {"tags": ["renewed"]}}]}`

			f := newFixture(t, contacts.Input{FirstName: ptr("Bo")})
			_, e := f.publish(def)
			env := f.envAt(monday)
			f.run(env, e, nil)
			got := f.enrollment(e.ID)
			mustEqual(t, "status", got.Status, models.EnrollmentExited)
			mustEqual(t, "reason", got.ExitReason, "there was no date to wait for (step w)")
			mustEqual(t, "log", f.ran(e.ID), "w:completed")
			mustEqual(t, "output reason", f.row(e.ID, "w").Output["reason"], any("no date to wait for"))

			f = newFixture(t, contacts.Input{FirstName: ptr("Cy"), Custom: map[string]any{"renewal": "2026-12-01"}})
			_, e = f.publish(def)
			env = f.envAt(monday)
			f.run(env, e, nil)
			mustEqual(t, "end of the wait", env.Now().UTC(), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			mustEqual(t, "log", f.ran(e.ID), "w:completed,t:completed")
		})
	}
}

// Each step's log row ends before the next one starts, action steps (local
// activities, on their own clock) and flow steps alike, across a wait.
func TestStepLogTimesFollowEachOther(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	_, e := f.publish(`{"name": "times", "triggers": [], "start": "a", "steps": [
		{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "g"},
		{"id": "g", "type": "goal", "config": {"events": [{"type": "customer_replied"}], "if_unmet": "continue"}, "next": "sp"},
		{"id": "sp", "type": "split", "config": {"paths": [{"name": "A", "percent": 50, "next": "m"}, {"name": "B", "percent": 50, "next": "m"}]}},
		{"id": "m", "type": "math", "config": {"operation": "add", "left": "1", "right": "2"}, "next": "gt"},
		{"id": "gt", "type": "goto", "config": {"step": "a2"}},
		{"id": "a2", "type": "add_tag", "config": {"tags": ["y"]}, "next": "u"},
		{"id": "u", "type": "wait", "config": {"mode": "until", "at": "{{contact.custom.renewal}}"}, "next": "a3"},
		{"id": "a3", "type": "add_tag", "config": {"tags": ["y"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	order := []string{"a", "w", "g", "sp", "m", "gt", "a2", "u", "a3"}
	var prev *models.StepExecution
	for _, id := range order {
		r := f.row(e.ID, id)
		if r == nil || r.FinishedAt == nil {
			t.Fatalf("step %s: row %+v, want a finished row", id, r)
		}
		if r.FinishedAt.Before(r.StartedAt) {
			t.Errorf("step %s finished at %s, before it started at %s", id, r.FinishedAt.Format(time.RFC3339Nano), r.StartedAt.Format(time.RFC3339Nano))
		}
		if prev != nil && prev.FinishedAt.After(r.StartedAt) {
			t.Errorf("step %s finished at %s, after the next step %s started at %s", prev.StepID,
				prev.FinishedAt.Format(time.RFC3339Nano), id, r.StartedAt.Format(time.RFC3339Nano))
		}
		prev = r
	}
	if got := f.enrollment(e.ID); got.FinishedAt == nil || got.FinishedAt.Before(*prev.FinishedAt) {
		t.Errorf("enrollment finished at %v, before its last step did (%s)", got.FinishedAt, prev.FinishedAt)
	}
}

// A goal that waited for its event until its timeout is unmet like one
// that did not wait: skipped (a completed goal counts as goal_reached),
// with the reason in its output.
func TestGoalUnmetAfterItsTimeoutIsSkippedWithItsReason(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	_, e := f.publish(`{"name": "g", "triggers": [], "start": "g", "steps": [
		{"id": "g", "type": "goal", "config": {"events": [{"type": "payment_received"}], "if_unmet": "wait", "timeout": "2d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["paid"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	r := f.row(e.ID, "g")
	mustEqual(t, "status", r.Status, models.StepSkipped)
	mustEqual(t, "reason", r.Output["reason"], any("goal g not met before its timeout"))
	mustEqual(t, "met", r.Output["met"], any(false))
	mustEqual(t, "timed out", r.Output["timed_out"], any(true))
	mustEqual(t, "enrollment", f.enrollment(e.ID).ExitReason, "goal g not met before its timeout")
}

// A condition wait that times out says how often it checked the condition
// (at the start, on the event, and once more at the timeout).
func TestConditionWaitTimedOutCountsItsChecks(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ed")})
	_, e := f.publish(`{"name": "c", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "condition", "until": {"field": "contact.tags", "op": "has_tag", "value": "paid"},
			"timeout": "1d"}}]}`)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "1", Type: "contact_changed", Data: map[string]any{"changed": []any{"first_name"}}})
	f.run(env, e, nil)
	r := f.row(e.ID, "w")
	mustEqual(t, "timed out", r.Output["timed_out"], any(true))
	mustEqual(t, "checks", r.Output["checks"], any(float64(3)))
}

// waiting_for names the time to the second when it has seconds, and a hold
// for the resume window says when the window opens.
func TestWaitingForShowsSecondsAndWhenTheResumeWindowOpens(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Flo")})
	_, e := f.publish(`{"name": "u", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "until", "at": "2026-11-30T17:00:02Z"}}]}`)
	env := f.envAt(monday)
	env.RegisterDelayedCallback(func() {
		mustEqual(t, "waiting_for", f.row(e.ID, "w").Output["waiting_for"], any("until 2026-11-30 17:00:02 UTC"))
	}, time.Hour)
	f.run(env, e, nil)

	_, e = f.publish(`{"name": "r", "settings": {"timezone": "America/New_York"}, "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h",
			"resume_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}}]}`)
	env = f.envAt(time.Date(2026, 12, 4, 21, 30, 0, 0, time.UTC)) // Friday 16:30 EST
	env.RegisterDelayedCallback(func() {
		mustEqual(t, "waiting_for", f.row(e.ID, "w").Output["waiting_for"], any("the resume window (opens 2026-12-07 09:00 EST)"))
	}, 2*time.Hour)
	f.run(env, e, nil)
}

package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// input is the run input of an enrollment row.
func input(e *models.Enrollment) workflows.Input {
	return workflows.Input{RunRef: workflows.RunRef{AccountID: e.AccountID, WorkflowID: e.WorkflowID,
		Version: e.Version, ContactID: e.ContactID, EnrollmentID: e.ID}}
}

// envAt is a test environment whose clock starts at start.
func (f *fixture) envAt(start time.Time) *testsuite.TestWorkflowEnvironment {
	env := f.env()
	env.SetStartTime(start)
	return env
}

// row is the last log row of a step.
func (f *fixture) row(enrollmentID, stepID string) *models.StepExecution {
	f.t.Helper()
	var found *models.StepExecution
	for _, r := range f.log(enrollmentID) {
		if r.StepID == stepID {
			r := r
			found = &r
		}
	}
	return found
}

// ran lists the steps of the execution log, in order, as "step:status,...".
func (f *fixture) ran(enrollmentID string) string {
	var out []string
	for _, r := range f.log(enrollmentID) {
		out = append(out, r.StepID+":"+r.Status)
	}
	return strings.Join(out, ",")
}

func signalAt(env *testsuite.TestWorkflowEnvironment, after time.Duration, ev workflows.Event) {
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalEvent, ev) }, after)
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

var monday = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) // a Monday, 07:00 in New York

func TestDelayReadFromAFieldTemplate(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Custom: map[string]any{"follow_up_days": 3}})
	_, e := f.publish(`{"name": "d", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "{{contact.custom.follow_up_days}}d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["done"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	mustEqual(t, "end of the run", env.Now().UTC(), monday.Add(72*time.Hour))
	mustEqual(t, "wait output", f.row(e.ID, "w").Output["waited"], any("3d"))
}

func TestDelayFromAFieldThatIsNotADurationFailsTheStep(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Custom: map[string]any{"follow_up": "soon"}})
	_, e := f.publish(`{"name": "d", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "{{contact.custom.follow_up}}"}}]}`)
	f.runFailing(f.envAt(monday), e, nil)
	if r := f.row(e.ID, "w"); r == nil || r.Status != models.StepFailed || r.Error == "" {
		t.Errorf("wait row = %+v, want failed with the reason", r)
	}
}

// The contact's own timezone across the start of daylight saving time in
// New York (2026-03-08): 09:00 local on the 9th is 13:00 UTC, not 14:00.
func TestUntilAFieldDateLandsAtTheWallClockHourAcrossDST(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Timezone: ptr("America/New_York"), Custom: map[string]any{"renewal_date": "2026-03-09"}})
	_, e := f.publish(`{"name": "u", "settings": {"timezone": "contact"}, "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "until", "at": "{{contact.custom.renewal_date}} 09:00"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["renewal"]}}]}`)
	start := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC) // Friday, EST
	env := f.envAt(start)
	f.run(env, e, nil)
	mustEqual(t, "end of the wait", env.Now().UTC(), time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC))
	mustEqual(t, "until", f.row(e.ID, "w").Output["until"], any("2026-03-09T13:00:00Z"))
}

func TestUntilADateThatPassed(t *testing.T) {
	for _, c := range []struct {
		ifPassed, status, log string
	}{
		{`"continue"`, models.EnrollmentCompleted, "w:completed,next:completed,other:completed"},
		{`"exit"`, models.EnrollmentExited, "w:completed"},
		{`"goto", "goto": "other"`, models.EnrollmentCompleted, "w:completed,other:completed"},
	} {
		t.Run(c.ifPassed, func(t *testing.T) {
			f := newFixture(t, contacts.Input{FirstName: ptr("Bo"), Custom: map[string]any{"renewal_date": "2026-01-01T09:00:00Z"}})
			_, e := f.publish(`{"name": "u", "triggers": [], "start": "w", "steps": [
				{"id": "w", "type": "wait", "config": {"mode": "until", "at": "{{contact.custom.renewal_date}}", "if_passed": ` + c.ifPassed + `}, "next": "next"},
				{"id": "next", "type": "add_tag", "config": {"tags": ["next"]}, "next": "other"},
				{"id": "other", "type": "add_tag", "config": {"tags": ["other"]}}]}`)
			env := f.envAt(monday)
			f.run(env, e, nil)
			mustEqual(t, "time spent", env.Now().UTC(), monday)
			mustEqual(t, "status", f.enrollment(e.ID).Status, c.status)
			mustEqual(t, "log", f.ran(e.ID), c.log)
			mustEqual(t, "passed", f.row(e.ID, "w").Output["passed"], any(true))
		})
	}
}

// appointment books one for the fixture's contact, starting at start.
func (f *fixture) appointment(start time.Time) *models.Appointment {
	a := &models.Appointment{ID: models.NewID(), AccountID: f.account.ID, ContactID: f.contact.ID, CalendarID: "cal",
		StartTime: start, EndTime: start.Add(30 * time.Minute), Status: models.AppointmentConfirmed}
	if err := f.db.Create(a).Error; err != nil {
		f.t.Fatal(err)
	}
	return a
}

const appointmentReminder = `{"name": "reminder", "triggers": [], "start": "w", "steps": [
	{"id": "w", "type": "wait", "config": {"mode": "appointment", "offset": "-1h", "on_cancel": "sorry"}, "next": "remind"},
	{"id": "remind", "type": "add_tag", "config": {"tags": ["reminded"]}},
	{"id": "sorry", "type": "add_tag", "config": {"tags": ["cancelled"]}}]}`

func TestAppointmentWaitEndsAnOffsetBeforeTheStart(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	a := f.appointment(monday.Add(48 * time.Hour))
	_, e := f.publish(appointmentReminder)
	env := f.envAt(monday)
	f.run(env, e, &workflows.Event{ID: "b", Type: "appointment_booked", Data: map[string]any{"appointment_id": a.ID}})
	mustEqual(t, "reminder time", env.Now().UTC(), monday.Add(47*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,remind:completed")
}

func TestAppointmentWaitMovesWhenTheAppointmentIsRescheduled(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	a := f.appointment(monday.Add(48 * time.Hour))
	_, e := f.publish(appointmentReminder)
	env := f.envAt(monday)
	env.RegisterDelayedCallback(func() {
		f.db.Model(a).Update("start_time", monday.Add(72*time.Hour))
		env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "r", Type: "appointment_rescheduled", Data: map[string]any{"appointment_id": a.ID}})
	}, 10*time.Hour)
	// A change to another appointment changes nothing.
	signalAt(env, 11*time.Hour, workflows.Event{ID: "o", Type: "appointment_rescheduled", Data: map[string]any{"appointment_id": "another"}})
	f.run(env, e, &workflows.Event{ID: "b", Type: "appointment_booked", Data: map[string]any{"appointment_id": a.ID}})
	mustEqual(t, "reminder time", env.Now().UTC(), monday.Add(71*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,remind:completed")
}

func TestAppointmentWaitTakesOnCancelWhenCancelled(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	a := f.appointment(monday.Add(48 * time.Hour))
	_, e := f.publish(appointmentReminder)
	env := f.envAt(monday)
	env.RegisterDelayedCallback(func() {
		f.db.Model(a).Update("status", models.AppointmentCancelled)
		env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "c", Type: "appointment_status_changed",
			Data: map[string]any{"appointment_id": a.ID, "status": "cancelled"}})
	}, 5*time.Hour)
	f.run(env, e, &workflows.Event{ID: "b", Type: "appointment_booked", Data: map[string]any{"appointment_id": a.ID}})
	mustEqual(t, "cancelled at", env.Now().UTC(), monday.Add(5*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,sorry:completed")
	mustEqual(t, "output", f.row(e.ID, "w").Output["cancelled"], any(true))
}

func TestAppointmentWaitWithoutOnCancelExits(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	a := f.appointment(monday.Add(48 * time.Hour))
	a.Status = models.AppointmentCancelled
	f.db.Save(a)
	_, e := f.publish(`{"name": "reminder", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "appointment", "offset": "2h"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["after"]}}]}`)
	f.run(f.envAt(monday), e, &workflows.Event{ID: "b", Type: "appointment_booked", Data: map[string]any{"appointment_id": a.ID}})
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentExited || got.ExitReason != "the appointment was cancelled (step w)" {
		t.Errorf("enrollment = %s %q", got.Status, got.ExitReason)
	}
}

// An appointment of another contact is not this contact's to wait for.
func TestAppointmentWaitOnAnotherContactsAppointmentSaysSo(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	other, err := f.contacts.Create(context.Background(), f.account.ID, contacts.Input{FirstName: ptr("Di")})
	if err != nil {
		t.Fatal(err)
	}
	a := f.appointment(monday.Add(48 * time.Hour))
	f.db.Model(a).Update("contact_id", other.ID)
	_, e := f.publish(`{"name": "reminder", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "appointment", "appointment_id": "` + a.ID + `"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["after"]}}]}`)
	f.run(f.envAt(monday), e, nil)
	if got := f.enrollment(e.ID); got.Status != models.EnrollmentExited ||
		got.ExitReason != "the appointment is another contact's, not this contact's (step w)" {
		t.Errorf("enrollment = %s %q", got.Status, got.ExitReason)
	}
}

// With no appointment to wait for, the reason says where the id should
// have come from: the triggering event, or the config's template.
func TestAppointmentWaitWithNoAppointmentSaysWhy(t *testing.T) {
	for _, c := range []struct{ config, reason string }{
		{`{"mode": "appointment"}`, "there is no appointment to wait for (the enrollment's event has no appointment_id) (step w)"},
		{`{"mode": "appointment", "appointment_id": "{{contact.custom.appt}}"}`, "there is no appointment to wait for (config.appointment_id rendered empty) (step w)"},
	} {
		f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
		_, e := f.publish(`{"name": "reminder", "triggers": [], "start": "w", "steps": [
			{"id": "w", "type": "wait", "config": ` + c.config + `, "next": "t"},
			{"id": "t", "type": "add_tag", "config": {"tags": ["after"]}}]}`)
		f.run(f.envAt(monday), e, nil)
		got := f.enrollment(e.ID)
		if got.Status != models.EnrollmentExited || got.ExitReason != c.reason {
			t.Errorf("%s: enrollment = %s %q, want exited %q", c.config, got.Status, got.ExitReason, c.reason)
		}
	}
}

// When the timer fires the wait reads its appointment again: a change that
// raised no event (a row deleted or cancelled behind the API's back, an
// event lost) still counts. Runs that started before flow-control version 5
// time out as they did.
func TestAppointmentWaitReadsItsAppointmentAgainWhenTheTimerFires(t *testing.T) {
	for _, c := range []struct {
		name    string
		version workflow.Version // 0: the current one
		change  func(f *fixture, a *models.Appointment)
		at      time.Time
		log     string
	}{
		{"deleted", 0, func(f *fixture, a *models.Appointment) { f.db.Delete(a) }, monday.Add(47 * time.Hour), "w:completed,sorry:completed"},
		{"cancelled", 0, func(f *fixture, a *models.Appointment) { f.db.Model(a).Update("status", models.AppointmentCancelled) },
			monday.Add(47 * time.Hour), "w:completed,sorry:completed"},
		{"moved later", 0, func(f *fixture, a *models.Appointment) { f.db.Model(a).Update("start_time", monday.Add(72*time.Hour)) },
			monday.Add(71 * time.Hour), "w:completed,remind:completed"},
		{"unchanged", 0, func(*fixture, *models.Appointment) {}, monday.Add(47 * time.Hour), "w:completed,remind:completed"},
		{"deleted, run of version 4", 4, func(f *fixture, a *models.Appointment) { f.db.Delete(a) }, monday.Add(47 * time.Hour), "w:completed,remind:completed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.version != 0 {
				defer workflows.WithFlowControlVersion(c.version)()
			}
			f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
			a := f.appointment(monday.Add(48 * time.Hour))
			_, e := f.publish(appointmentReminder)
			env := f.envAt(monday)
			env.RegisterDelayedCallback(func() { c.change(f, a) }, 5*time.Hour) // no event
			f.run(env, e, &workflows.Event{ID: "b", Type: "appointment_booked", Data: map[string]any{"appointment_id": a.ID}})
			mustEqual(t, "end of the wait", env.Now().UTC(), c.at)
			mustEqual(t, "log", f.ran(e.ID), c.log)
		})
	}
}

// Deleting the appointment raises appointment_deleted: the wait takes
// on_cancel at once, with what it knows of the appointment.
func TestAppointmentWaitTakesOnCancelWhenDeleted(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy")})
	a := f.appointment(monday.Add(48 * time.Hour))
	_, e := f.publish(appointmentReminder)
	env := f.envAt(monday)
	env.RegisterDelayedCallback(func() {
		f.db.Delete(a)
		env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "d", Type: "appointment_deleted",
			Data: map[string]any{"appointment_id": a.ID, "status": "confirmed"}})
	}, 5*time.Hour)
	f.run(env, e, &workflows.Event{ID: "b", Type: "appointment_booked", Data: map[string]any{"appointment_id": a.ID}})
	mustEqual(t, "cancelled at", env.Now().UTC(), monday.Add(5*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,sorry:completed")
	out := f.row(e.ID, "w").Output
	mustEqual(t, "cancelled", out["cancelled"], any(true))
	mustEqual(t, "appointment_id", out["appointment_id"], any(a.ID))
	mustEqual(t, "reason", out["reason"], any("the appointment no longer exists"))
	if _, ok := out["start_time"]; ok {
		t.Errorf("a cancelled wait's output has a start_time: %v", out)
	}
}

const replyWait = `{"name": "reply", "triggers": [], "start": "w", "steps": [
	{"id": "w", "type": "wait", "config": {"mode": "event", "events": [
		{"type": "customer_replied", "filters": {"field": "event.body", "op": "contains", "value": "yes"}},
		{"type": "trigger_link_clicked", "filters": {"field": "event.link_id", "op": "is", "value": "l1"}}],
		"timeout": "2d", "on_timeout": "nudge"}, "next": "thanks"},
	{"id": "thanks", "type": "update_contact", "config": {"fields": {"custom.answer": "{{steps.w.event.body}}"}}},
	{"id": "nudge", "type": "add_tag", "config": {"tags": ["no-answer"]}}]}`

func TestEventWaitEndsOnTheFirstMatchingEvent(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Di")})
	_, e := f.publish(replyWait)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "1", Type: "customer_replied", Data: map[string]any{"body": "no thanks"}})
	signalAt(env, 2*time.Hour, workflows.Event{ID: "2", Type: "trigger_link_clicked", Data: map[string]any{"link_id": "l2"}})
	signalAt(env, 3*time.Hour, workflows.Event{ID: "3", Type: "customer_replied", Data: map[string]any{"body": "yes please"}})
	f.run(env, e, nil)
	mustEqual(t, "end of the wait", env.Now().UTC(), monday.Add(3*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,thanks:completed")
	c, _ := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	mustEqual(t, "answer", c.Custom["answer"], any("yes please"))
}

func TestEventWaitTimesOutToOnTimeout(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Di")})
	_, e := f.publish(replyWait)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "1", Type: "customer_replied", Data: map[string]any{"body": "no"}})
	f.run(env, e, nil)
	mustEqual(t, "timeout", env.Now().UTC(), monday.Add(48*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,nudge:completed")
	mustEqual(t, "timed out", f.row(e.ID, "w").Output["timed_out"], any(true))
}

func TestConditionWaitIsCheckedAgainWhenTheContactChanges(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ed")})
	_, e := f.publish(`{"name": "c", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "condition", "until": {"field": "contact.tags", "op": "has_tag", "value": "paid"},
			"timeout": "1w", "on_timeout": "late"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["welcome"]}},
		{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
	env := f.envAt(monday)
	// An unrelated change wakes the wait, which still does not hold.
	signalAt(env, time.Hour, workflows.Event{ID: "1", Type: "contact_changed", Data: map[string]any{"changed": []any{"first_name"}}})
	env.RegisterDelayedCallback(func() {
		if _, err := f.contacts.AddTags(context.Background(), f.account.ID, f.contact.ID, []string{"paid"}); err != nil {
			t.Error(err)
		}
		env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "2", Type: "contact_tag_added", Data: map[string]any{"tag": "paid"}})
	}, 5*time.Hour)
	f.run(env, e, nil)
	mustEqual(t, "end of the wait", env.Now().UTC(), monday.Add(5*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,t:completed")
	mustEqual(t, "checks", f.row(e.ID, "w").Output["checks"], any(float64(3)))
}

func TestConditionWaitThatHoldsAlreadyDoesNotWait(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ed"), Tags: &[]string{"paid"}})
	_, e := f.publish(`{"name": "c", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "condition", "until": {"field": "contact.tags", "op": "has_tag", "value": "paid"}}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["welcome"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	mustEqual(t, "time spent", env.Now().UTC(), monday)
}

func TestConditionWaitTimesOut(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ed")})
	_, e := f.publish(`{"name": "c", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "condition", "until": {"field": "contact.tags", "op": "has_tag", "value": "paid"},
			"timeout": "1w", "on_timeout": "late"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["welcome"]}},
		{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	mustEqual(t, "timeout", env.Now().UTC(), monday.Add(7*24*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,late:completed")
}

// What a condition reads may change with no event to announce it (now.*,
// or here a tag whose event never reached the run): at the timeout the wait
// checks it once more and goes on when it holds. Runs that started before
// flow-control version 5 time out as they did.
func TestConditionWaitIsCheckedAgainAtTheTimeout(t *testing.T) {
	for _, c := range []struct {
		version workflow.Version // 0: the current one
		log     string
		checks  any
	}{{0, "w:completed,t:completed", float64(2)}, {4, "w:completed,late:completed", float64(1)}} {
		t.Run(fmt.Sprint("version ", c.version), func(t *testing.T) {
			if c.version != 0 {
				defer workflows.WithFlowControlVersion(c.version)()
			}
			f := newFixture(t, contacts.Input{FirstName: ptr("Ed")})
			_, e := f.publish(`{"name": "c", "triggers": [], "start": "w", "steps": [
				{"id": "w", "type": "wait", "config": {"mode": "condition", "until": {"field": "contact.tags", "op": "has_tag", "value": "paid"},
					"timeout": "2h", "on_timeout": "late"}, "next": "t"},
				{"id": "t", "type": "add_tag", "config": {"tags": ["welcome"]}},
				{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
			env := f.envAt(monday)
			env.RegisterDelayedCallback(func() { // no event reaches the run
				if _, err := f.contacts.AddTags(context.Background(), f.account.ID, f.contact.ID, []string{"paid"}); err != nil {
					t.Error(err)
				}
			}, time.Hour)
			f.run(env, e, nil)
			mustEqual(t, "end of the wait", env.Now().UTC(), monday.Add(2*time.Hour))
			mustEqual(t, "log", f.ran(e.ID), c.log)
			mustEqual(t, "checks", f.row(e.ID, "w").Output["checks"], c.checks)
			mustEqual(t, "timed out", f.row(e.ID, "w").Output["timed_out"], any(c.version != 0 && c.version < 5))
		})
	}
}

// A 1h delay from Friday 16:30 in New York ends at 17:30, outside the
// resume window: the contact goes on at Monday 09:00.
func TestResumeWindowHoldsTheEndOfAWaitUntilItOpens(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Flo")})
	_, e := f.publish(`{"name": "r", "settings": {"timezone": "America/New_York"}, "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h",
			"resume_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["resumed"]}}]}`)
	friday := time.Date(2026, 12, 4, 21, 30, 0, 0, time.UTC) // 16:30 EST
	env := f.envAt(friday)
	f.run(env, e, nil)
	mustEqual(t, "resumed at", env.Now().UTC(), time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC))
	out := f.row(e.ID, "w").Output
	mustEqual(t, "waited", out["waited"], any("1h"))
	mustEqual(t, "held by the window", out["held_by_window"], any(true))
	mustEqual(t, "resumed_at", out["resumed_at"], any("2026-12-07T14:00:00Z"))
}

// A wait that many events wake continues as new in the middle, keeping its
// deadline: the next run waits only what is left.
func TestLongWaitContinuesAsNewAndKeepsItsDeadline(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Gil")})
	_, e := f.publish(`{"name": "w", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}], "timeout": "3d", "on_timeout": "t"}},
		{"id": "t", "type": "add_tag", "config": {"tags": ["timed-out"]}}]}`)
	env := f.envAt(monday)
	env.RegisterDelayedCallback(func() {
		env.SetCurrentHistoryLength(5000) // as if many events had woken it
		env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "x", Type: "contact_changed"})
	}, 24*time.Hour)
	env.ExecuteWorkflow(workflows.InterpretWorkflow, input(e))
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want a continue-as-new", err)
	}
	var next workflows.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	c := next.Cursor
	if c.StepID != "w" || !c.Reenter || c.Wait == nil || !c.Wait.Started.Equal(monday) || c.Visits["w"] != 1 {
		t.Fatalf("carried cursor = %+v (wait %+v)", c, c.Wait)
	}
	env2 := f.envAt(monday.Add(24 * time.Hour))
	env2.ExecuteWorkflow(workflows.InterpretWorkflow, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "timeout", env2.Now().UTC(), monday.Add(72*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w:completed,t:completed")
}

// A reply that comes while the step before the wait still runs (here a
// webhook retried after 10s) ends the wait at once; an event from before
// that step (during the first delay) does not count.
func TestEventWaitCountsEventsFromTheStepBeforeIt(t *testing.T) {
	srv, _ := failingOnce(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Hal")})
	_, e := f.publish(`{"name": "fast reply", "triggers": [], "start": "d", "steps": [
		{"id": "d", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "h"},
		{"id": "h", "type": "webhook", "config": {"url": "` + srv.URL + `"}, "retry": {"initial_interval": "10s"}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}], "timeout": "1d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["replied"]}}]}`)
	env := f.envAt(monday)
	signalAt(env, 30*time.Minute, workflows.Event{ID: "early", Type: "customer_replied", Data: map[string]any{"body": "too early"}})
	signalAt(env, time.Hour+5*time.Second, workflows.Event{ID: "fast", Type: "customer_replied", Data: map[string]any{"body": "fast"}})
	f.run(env, e, nil)
	if got := env.Now().UTC(); got.After(monday.Add(time.Hour + time.Minute)) {
		t.Errorf("the wait ended at %v, want right after the webhook (about %v)", got, monday.Add(time.Hour+10*time.Second))
	}
	mustEqual(t, "reply", f.row(e.ID, "w").Output["event"].(map[string]any)["body"], any("fast"))
}

// failingOnce is a webhook receiver that answers 503 to its first call and
// 200 after; calls counts them.
func failingOnce(t *testing.T) (*httptest.Server, *atomic.Int32) {
	calls := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

// runAcross runs an enrollment to its end across continue-as-new, as the
// server would, and returns the last run's error.
func (f *fixture) runAcross(e *models.Enrollment, start time.Time) (runs int, err error) {
	in := input(e)
	for {
		runs++
		env := f.envAt(start)
		env.ExecuteWorkflow(workflows.InterpretWorkflow, in)
		var can *workflow.ContinueAsNewError
		if err := env.GetWorkflowError(); !errors.As(err, &can) {
			return runs, err
		}
		start = env.Now()
		in = workflows.Input{}
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
			return runs, err
		}
	}
}

// A loop whose wait never waits (the date is empty, so it has "passed") is
// stopped with a reason instead of spinning through the database forever.
func TestLoopWhoseWaitNeverWaitsIsStopped(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ivy")})
	_, e := f.publish(`{"name": "spin", "triggers": [], "start": "a", "steps": [
		{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "until", "at": "{{contact.custom.next_call}}"}, "next": "g"},
		{"id": "g", "type": "goto", "config": {"step": "a"}}]}`)
	runs, err := f.runAcross(e, monday)
	if err == nil || !strings.Contains(err.Error(), "without waiting") {
		t.Fatalf("after %d runs: error %v, want the loop stopped", runs, err)
	}
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentFailed || !strings.Contains(got.ExitReason, "1000 steps without waiting") {
		t.Errorf("enrollment = %s %q", got.Status, got.ExitReason)
	}
}

// A loop that waits for real is never stopped, however long it runs.
func TestLoopThatWaitsIsNotStopped(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Jo")})
	_, e := f.publish(`{"name": "tick", "triggers": [], "start": "n", "steps": [
		{"id": "n", "type": "math", "config": {"operation": "add", "left": "{{contact.custom.n | default: 0}}", "right": "1", "target": "custom.n"}, "next": "c"},
		{"id": "c", "type": "if_else", "config": {"branches": [{"name": "done", "when": {"field": "contact.custom.n", "op": "gte", "value": 400}, "next": "e"}], "else": "w"}},
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "n"},
		{"id": "e", "type": "end"}]}`)
	if _, err := f.runAcross(e, monday); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "status", f.enrollment(e.ID).Status, models.EnrollmentCompleted)
}

// Two event waits in a row: the reply that ended the first (and the one it
// turned down before) belong to it; the second waits for a reply of its own.
func TestEventWaitDoesNotCountEventsTheWaitBeforeItLookedAt(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Kim")})
	_, e := f.publish(`{"name": "two replies", "triggers": [], "start": "w1", "steps": [
		{"id": "w1", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied",
			"filters": {"field": "event.body", "op": "contains", "value": "yes"}}], "timeout": "1d"}, "next": "w2"},
		{"id": "w2", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}], "timeout": "1d", "on_timeout": "late"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["answered"]}},
		{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "no", Type: "customer_replied", Data: map[string]any{"body": "no"}})
	signalAt(env, 2*time.Hour, workflows.Event{ID: "yes", Type: "customer_replied", Data: map[string]any{"body": "yes"}})
	signalAt(env, 5*time.Hour, workflows.Event{ID: "more", Type: "customer_replied", Data: map[string]any{"body": "and more"}})
	f.run(env, e, nil)
	mustEqual(t, "end", env.Now().UTC(), monday.Add(5*time.Hour))
	mustEqual(t, "log", f.ran(e.ID), "w1:completed,w2:completed,t:completed")
	if r := f.row(e.ID, "w2"); r != nil {
		mustEqual(t, "second reply", r.Output["event"].(map[string]any)["body"], any("and more"))
	}
}

// The events of other types that came during the wait before still count
// (they came since the step before the wait began): only the ones that wait
// looked at were its own.
func TestEventWaitCountsOtherEventsThatCameDuringTheWaitBeforeIt(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Max")})
	_, e := f.publish(`{"name": "reply then click", "triggers": [], "start": "w1", "steps": [
		{"id": "w1", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied",
			"filters": {"field": "event.body", "op": "contains", "value": "yes"}}], "timeout": "1d"}, "next": "w2"},
		{"id": "w2", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}, {"type": "trigger_link_clicked"}], "timeout": "1d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["done"]}}]}`)
	env := f.envAt(monday)
	signalAt(env, time.Hour, workflows.Event{ID: "no", Type: "customer_replied", Data: map[string]any{"body": "no"}})
	signalAt(env, 90*time.Minute, workflows.Event{ID: "click", Type: "trigger_link_clicked", Data: map[string]any{"link_id": "l1"}})
	signalAt(env, 2*time.Hour, workflows.Event{ID: "yes", Type: "customer_replied", Data: map[string]any{"body": "yes"}})
	f.run(env, e, nil)
	mustEqual(t, "end", env.Now().UTC(), monday.Add(2*time.Hour))
	mustEqual(t, "w2 ended by", f.row(e.ID, "w2").Output["event_type"], any("trigger_link_clicked"))
}

// A reply outside the resume window ends the event wait; the run holds
// until the window opens. If it continues as new while it holds (or moves
// version), it still goes on as replied: the reply is not lost.
func TestEventWaitHeldForItsResumeWindowKeepsItsEventAcrossContinueAsNew(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ned")})
	_, e := f.publish(`{"name": "w", "settings": {"timezone": "UTC"}, "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}], "timeout": "1d", "on_timeout": "late",
			"resume_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["replied"]}},
		{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
	env := f.envAt(monday)                                                                                              // 12:00 UTC
	signalAt(env, 6*time.Hour, workflows.Event{ID: "r", Type: "customer_replied", Data: map[string]any{"body": "yes"}}) // 18:00: held until 09:00
	env.RegisterDelayedCallback(func() {
		env.SetCurrentHistoryLength(5000)
		env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: "x", Type: "contact_changed"})
	}, 8*time.Hour)
	env.ExecuteWorkflow(workflows.InterpretWorkflow, input(e))
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want a continue-as-new", err)
	}
	var next workflows.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	env2 := f.envAt(monday.Add(8 * time.Hour))
	env2.ExecuteWorkflow(workflows.InterpretWorkflow, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "resumed at", env2.Now().UTC(), monday.Add(21*time.Hour)) // Tuesday 09:00
	mustEqual(t, "tags", f.tags(), "replied")
	mustEqual(t, "w's event", f.row(e.ID, "w").Output["event_type"], any("customer_replied"))
}

// A send held by the time window to Monday 09:00, then a wait until 09:00
// that day: the time has come, not passed (the renewal text goes out), and
// its if_passed is not taken. Runs that started before flow-control
// version 6 took it.
func TestWaitUntilATimeJustReachedIsNotPassed(t *testing.T) {
	for _, c := range []struct {
		version workflow.Version // 0: the current one
		log     string
	}{{0, "sms:completed,u:completed,renew:completed"}, {5, "sms:completed,u:completed"}} {
		t.Run(fmt.Sprint("version ", c.version), func(t *testing.T) {
			if c.version != 0 {
				defer workflows.WithFlowControlVersion(c.version)()
			}
			f := newFixture(t, contacts.Input{FirstName: ptr("Ren"), Phone: ptr("+14155550126"),
				Custom: map[string]any{"renewal": "2026-12-07"}})
			_, e := f.publish(`{"name": "renewal", "settings": {"timezone": "America/New_York",
				"time_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}, "triggers": [], "start": "sms", "steps": [
				{"id": "sms", "type": "send_sms", "config": {"body": "Your renewal is coming"}, "next": "u"},
				{"id": "u", "type": "wait", "config": {"mode": "until", "at": "{{contact.custom.renewal}} 09:00", "if_passed": "exit"}, "next": "renew"},
				{"id": "renew", "type": "send_sms", "config": {"body": "Renew today"}}]}`)
			saturday := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
			env := f.envAt(saturday)
			f.run(env, e, nil)
			mustEqual(t, "log", f.ran(e.ID), c.log)
		})
	}
}

package simulation_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/simulation"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"gorm.io/gorm"
)

type fixture struct {
	t       testing.TB
	db      *gorm.DB
	account string
	contact *models.Contact
	sim     *simulation.Simulator
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := testdb.Open(t)
	acct := models.Account{ID: models.NewID(), Name: "Acme", Timezone: "UTC"}
	if err := db.Create(&acct).Error; err != nil {
		t.Fatal(err)
	}
	first, phone := "Ada", "+14155550100"
	c, err := (&contacts.Service{DB: db}).Create(context.Background(), acct.ID, contacts.Input{FirstName: &first, Phone: &phone})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, db: db, account: acct.ID, contact: c, sim: simulation.New(simulation.Options{DB: db})}
}

// request saves def as a workflow and asks for its simulation.
func (f *fixture) request(def string, events ...simulation.Event) simulation.Request {
	f.t.Helper()
	wf, _, err := (&definitions.Service{DB: f.db}).Create(context.Background(), f.account, []byte(def))
	if err != nil {
		f.t.Fatalf("saving: %v", err)
	}
	var d definition.Definition
	if err := json.Unmarshal(wf.Definition, &d); err != nil {
		f.t.Fatal(err)
	}
	return simulation.Request{AccountID: f.account, WorkflowID: wf.ID, ContactID: f.contact.ID, Definition: &d,
		Start: monday, Events: events}
}

func (f *fixture) run(req simulation.Request) *simulation.Result {
	f.t.Helper()
	res, err := f.sim.Run(context.Background(), req)
	if err != nil {
		f.t.Fatalf("simulating: %v", err)
	}
	return res
}

var monday = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// path is "step:status@offset" for each step, offsets from monday.
func path(res *simulation.Result) string {
	var out []string
	for _, s := range res.Steps {
		out = append(out, s.StepID+":"+s.Status+"@"+s.StartedAt.Sub(monday).String())
	}
	return strings.Join(out, " ")
}

const followUp = `{"name": "follow up", "triggers": [], "start": "w", "steps": [
	{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "sms"},
	{"id": "sms", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}, still interested?"}, "next": "reply"},
	{"id": "reply", "type": "wait", "config": {"mode": "event", "events": [{"type": "customer_replied"}], "timeout": "2d", "on_timeout": "cold"}, "next": "warm"},
	{"id": "warm", "type": "add_tag", "config": {"tags": ["warm"]}},
	{"id": "cold", "type": "add_tag", "config": {"tags": ["cold"]}}]}`

// Weeks of waits run in moments, on the simulated clock; the path and the
// message are what a real run would take and send, and nothing real moves.
func TestSimulationShowsThePathAndTimesWithoutTouchingRealData(t *testing.T) {
	f := newFixture(t)
	cold := f.run(f.request(followUp))
	if got, want := path(cold), "w:completed@0s sms:completed@72h0m0s reply:completed@72h0m0s cold:completed@120h0m0s"; got != want {
		t.Errorf("path without a reply = %s, want %s", got, want)
	}
	if cold.Status != models.EnrollmentCompleted || !cold.EndedAt.Equal(monday.Add(120*time.Hour)) || cold.Stopped != "" {
		t.Errorf("ended %s at %s", cold.Status, cold.EndedAt)
	}
	if len(cold.Messages) != 1 || cold.Messages[0].Body != "Hi Ada, still interested?" || cold.Messages[0].To != "+14155550100" {
		t.Errorf("messages = %+v", cold.Messages)
	}
	warm := f.run(f.request(followUp, simulation.Event{After: 4 * 24 * time.Hour, Type: "customer_replied", Data: map[string]any{"body": "yes"}}))
	if got, want := path(warm), "w:completed@0s sms:completed@72h0m0s reply:completed@72h0m0s warm:completed@96h0m0s"; got != want {
		t.Errorf("path with a reply on day 4 = %s, want %s", got, want)
	}
	if len(warm.Delivered) != 1 || !warm.Delivered[0].At.Equal(monday.Add(96*time.Hour)) {
		t.Errorf("delivered = %+v", warm.Delivered)
	}
	// The real contact has no tag and no message; no enrollment was made.
	var tags, messages, enrollments int64
	f.db.Model(&models.ContactTag{}).Where("contact_id = ?", f.contact.ID).Count(&tags)
	f.db.Model(&models.Message{}).Count(&messages)
	f.db.Model(&models.Enrollment{}).Count(&enrollments)
	if tags+messages+enrollments != 0 {
		t.Errorf("the simulation touched real data: %d tags, %d messages, %d enrollments", tags, messages, enrollments)
	}
}

// A run still waiting at the horizon is reported waiting at its step.
func TestSimulationStopsAtTheHorizon(t *testing.T) {
	f := newFixture(t)
	req := f.request(`{"name": "slow", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "365d"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
	req.Horizon = 30 * 24 * time.Hour
	res := f.run(req)
	if res.Status != models.EnrollmentWaiting || res.CurrentStep != "w" || !res.EndedAt.Equal(monday.Add(30*24*time.Hour)) {
		t.Errorf("at the horizon: %s at %q, ended %s", res.Status, res.CurrentStep, res.EndedAt)
	}
	if got := path(res); got != "w:waiting@0s" {
		t.Errorf("path = %s", got)
	}
	if res.Stopped != "it reached its horizon of 30d" {
		t.Errorf("stopped = %q", res.Stopped)
	}
}

// A loop that waits little would run for long over a long horizon: the
// simulation stops it at its activity limit, keeping the path so far.
func TestSimulationStopsALongLoop(t *testing.T) {
	f := newFixture(t)
	f.sim = simulation.New(simulation.Options{DB: f.db, MaxActivities: 40})
	res := f.run(f.request(`{"name": "loop", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["again"]}, "next": "back"},
		{"id": "back", "type": "goto", "config": {"step": "w"}}]}`))
	if !strings.Contains(res.Stopped, "40 activities") || res.Status == models.EnrollmentCompleted || len(res.Steps) < 5 {
		t.Errorf("stopped %q with status %s after %d steps", res.Stopped, res.Status, len(res.Steps))
	}
	if res.Steps[len(res.Steps)-1].StartedAt.Sub(monday) < 2*time.Hour {
		t.Errorf("the loop did not go round on the simulated clock: %s", path(res))
	}
}

// A tag the run adds itself reaches the run as an event, as on the server:
// the goal waiting for it is met. Steps that reach outside systems are
// reported, not run; a drip lets the contact go at once.
func TestSimulationDeliversTheRunsOwnEventsAndSkipsOutsideSteps(t *testing.T) {
	f := newFixture(t)
	res := f.run(f.request(`{"name": "buy", "triggers": [], "start": "d", "steps": [
		{"id": "d", "type": "drip", "config": {"batch_size": 1, "interval": "1h"}, "next": "charge"},
		{"id": "charge", "type": "stripe_charge", "config": {"amount": "10", "currency": "usd"}, "next": "tag"},
		{"id": "tag", "type": "add_tag", "config": {"tags": ["bought"]}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "30d"}, "next": "g"},
		{"id": "g", "type": "goal", "config": {"events": [{"type": "contact_tag_added", "filters": {"field": "event.tag", "op": "is", "value": "bought"}}]}}]}`))
	if got, want := path(res), "d:completed@0s charge:skipped@0s tag:completed@0s g:completed@0s"; got != want || res.Status != models.EnrollmentCompleted {
		t.Errorf("path = %s (%s), want %s (completed)", got, res.Status, want)
	}
	for _, s := range res.Steps {
		if s.StepID == "charge" && !strings.Contains(s.Output["reason"].(string), "not run in a simulation") {
			t.Errorf("charge output = %v", s.Output)
		}
	}
}

// Events that stand for a change change the copy first: a tag added holds
// a condition wait, a cancelled appointment takes on_cancel.
func TestSimulationEventsChangeTheCopyAsTheirChangeWould(t *testing.T) {
	f := newFixture(t)
	appt := models.Appointment{ID: models.NewID(), AccountID: f.account, ContactID: f.contact.ID, CalendarID: "cal",
		StartTime: monday.Add(72 * time.Hour), EndTime: monday.Add(73 * time.Hour), Status: models.AppointmentConfirmed}
	if err := f.db.Create(&appt).Error; err != nil {
		t.Fatal(err)
	}
	res := f.run(f.request(`{"name": "events", "triggers": [], "start": "paid", "steps": [
		{"id": "paid", "type": "wait", "config": {"mode": "condition", "until": {"field": "contact.tags", "op": "has_tag", "value": "paid"}, "timeout": "2d", "on_timeout": "late"}, "next": "a"},
		{"id": "a", "type": "wait", "config": {"mode": "appointment", "appointment_id": "`+appt.ID+`", "offset": "-1h", "on_cancel": "sorry"}, "next": "remind"},
		{"id": "remind", "type": "add_task", "config": {"title": "Call", "due_in": "1d"}},
		{"id": "late", "type": "end"},
		{"id": "sorry", "type": "add_task", "config": {"title": "Rebook", "due_in": "1d"}}]}`,
		simulation.Event{After: time.Hour, Type: "contact_tag_added", Data: map[string]any{"tag": "paid"}},
		simulation.Event{After: 2 * time.Hour, Type: "appointment_status_changed", Data: map[string]any{"appointment_id": appt.ID, "status": "cancelled"}}))
	if got, want := path(res), "paid:completed@0s a:completed@1h0m0s sorry:completed@2h0m0s"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	// The task is due a day after the simulated step, not after today.
	if due := res.Steps[len(res.Steps)-1].Output["due_at"]; due != monday.Add(26*time.Hour).Format(time.RFC3339) {
		t.Errorf("due_at = %v", due)
	}
	var real models.Appointment
	f.db.First(&real, "id = ?", appt.ID)
	if real.Status != models.AppointmentConfirmed {
		t.Errorf("the real appointment is %s", real.Status)
	}
}

// A contact deleted by the run is deleted in the copy only; a trigger that
// would not enroll the contact is reported, and the run simulated anyway.
func TestSimulationDeletesTheCopyAndWarnsOfATriggerThatWouldNotFire(t *testing.T) {
	f := newFixture(t)
	req := f.request(`{"name": "gone", "triggers": [{"id": "t", "type": "contact_tag_added",
		"filters": {"field": "event.tag", "op": "is", "value": "trial"}}], "start": "d", "steps": [
		{"id": "d", "type": "delete_contact", "config": {}}]}`)
	req.Trigger = &simulation.Event{Type: "contact_tag_added", Data: map[string]any{"tag": "other"}}
	res := f.run(req)
	if res.Status != models.EnrollmentCompleted || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "would not enroll") || res.Warnings[0].Path != "trigger" {
		t.Errorf("ended %s (%s), warnings %q", res.Status, res.Reason, res.Warnings)
	}
	var n int64
	f.db.Model(&models.Contact{}).Where("id = ?", f.contact.ID).Count(&n)
	if n != 1 {
		t.Error("the real contact was deleted")
	}
	req.Trigger.Data = map[string]any{"tag": "trial"}
	if res := f.run(req); len(res.Warnings) != 0 {
		t.Errorf("a matching trigger warns: %q", res.Warnings)
	}
}

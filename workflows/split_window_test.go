package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
)

func TestSplitIsStickyForAContactAcrossEntries(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	wf, e := f.publish(`{"name": "ab", "settings": {"allow_reentry": true}, "triggers": [], "start": "s", "steps": [
		{"id": "s", "type": "split", "config": {"paths": [{"name": "A", "percent": 50, "next": "a"}, {"name": "B", "percent": 50, "next": "b"}]}},
		{"id": "a", "type": "add_tag", "config": {"tags": ["a"]}},
		{"id": "b", "type": "add_tag", "config": {"tags": ["b"]}}]}`)
	f.run(f.env(), e, nil)
	first := f.row(e.ID, "s").Output["branch"]
	if first != "A" && first != "B" {
		t.Fatalf("branch = %v", first)
	}
	for i := 2; i <= 4; i++ {
		again := &models.Enrollment{ID: models.NewID(), AccountID: f.account.ID, WorkflowID: wf.ID, ContactID: f.contact.ID,
			EntryKey: string(rune('0' + i)), EntryNo: i, Version: wf.Version, Status: models.EnrollmentPending, StartedAt: time.Now().UTC()}
		if err := f.db.Create(again).Error; err != nil {
			t.Fatal(err)
		}
		f.run(f.env(), again, nil)
		mustEqual(t, "branch on re-entry", f.row(again.ID, "s").Output["branch"], first)
	}
}

// Communication steps wait for settings.time_window (mon-fri 09:00-17:00 in
// New York); other steps do not. Saturday 2026-03-07 is before the switch
// to daylight saving time, Monday the 9th after: 09:00 EDT is 13:00 UTC.
func TestTimeWindowHoldsTextsUntilItOpensAcrossDST(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Bo"), Phone: ptr("+14155550124")})
	_, e := f.publish(`{"name": "tw", "settings": {"timezone": "America/New_York",
		"time_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}, "triggers": [], "start": "t", "steps": [
		{"id": "t", "type": "add_tag", "config": {"tags": ["seen"]}, "next": "sms"},
		{"id": "sms", "type": "send_sms", "config": {"body": "Good morning"}}]}`)
	saturday := time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC)
	env := f.envAt(saturday)
	f.run(env, e, nil)
	opens := time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)
	mustEqual(t, "sent at", env.Now().UTC(), opens)
	if tag := f.row(e.ID, "t"); !tag.StartedAt.Equal(saturday) {
		t.Errorf("add_tag started %v, want at once (%v)", tag.StartedAt, saturday)
	}
	sms := f.row(e.ID, "sms")
	mustEqual(t, "sms status", sms.Status, models.StepCompleted)
	mustEqual(t, "held by the window", sms.Output["held_by_window"], any(true))
	mustEqual(t, "resumed_at", sms.Output["resumed_at"], any("2026-03-09T13:00:00Z"))
	if f.row(e.ID, "t").Output["held_by_window"] != nil {
		t.Error("add_tag, which the window does not hold, says it was held")
	}
	if len(f.messages()) != 1 {
		t.Errorf("messages = %d, want 1", len(f.messages()))
	}
}

func TestTimeWindowInTheContactsZone(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Cy"), Phone: ptr("+14155550125"), Timezone: ptr("Asia/Tokyo")})
	_, e := f.publish(`{"name": "tw", "settings": {"timezone": "contact",
		"time_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}}, "triggers": [], "start": "sms", "steps": [
		{"id": "sms", "type": "send_sms", "config": {"body": "Ohayo"}}]}`)
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // Tuesday 21:00 in Tokyo
	env := f.envAt(start)
	f.run(env, e, nil)
	mustEqual(t, "sent at", env.Now().UTC(), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) // Wednesday 09:00 JST
}

// now.* reads the workflow's clock in the workflow's timezone: three days
// after Monday 07:00 in New York it is Thursday 07:00 there (12:00 UTC, and
// whatever day the machine's clock says), and format_date's compare counts
// days from that same now.
func TestNowReadsTheWorkflowsClockInItsTimezone(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Noa")})
	_, e := f.publish(`{"name": "now", "settings": {"timezone": "America/New_York"}, "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "3d"}, "next": "b"},
		{"id": "b", "type": "if_else", "config": {"branches": [{"name": "thursday morning", "when": {"all": [
			{"field": "now.day_of_week", "op": "is", "value": "thu"}, {"field": "now.time", "op": "is", "value": "07:00"},
			{"field": "now.date", "op": "is", "value": "2026-12-03"}]}, "next": "d"}], "else": "late"}},
		{"id": "d", "type": "format_date", "config": {"operation": "compare", "input": "2026-12-01"}, "next": "tag"},
		{"id": "tag", "type": "add_tag", "config": {"tags": ["at {{now.time}} on {{now.day_of_week}}"]}},
		{"id": "late", "type": "add_tag", "config": {"tags": ["late"]}}]}`)
	env := f.envAt(monday)
	f.run(env, e, nil)
	mustEqual(t, "log", f.ran(e.ID), "w:completed,b:completed,d:completed,tag:completed")
	mustEqual(t, "days from now", f.row(e.ID, "d").Output["days"], any(float64(-2)))
	mustEqual(t, "tag", fmt.Sprint(f.row(e.ID, "tag").Output["tags"]), "[at 07:00 on thu]")
}

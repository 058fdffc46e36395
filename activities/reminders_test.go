package activities_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// reminderFixture is an account in New York with a published reminder
// workflow, enrolling through the real enrollment service (its Temporal
// starts recorded by a mock client).
type reminderFixture struct {
	db      *gorm.DB
	account string
	sched   *activities.Scheduled
}

func newReminderFixture(t *testing.T) *reminderFixture {
	t.Helper()
	db := testdb.Open(t)
	tc := &mocks.Client{}
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run")
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(func(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
			return run, nil
		})
	acct := models.Account{ID: models.NewID(), Name: "A", Timezone: "America/New_York"}
	if err := db.Create(&acct).Error; err != nil {
		t.Fatal(err)
	}
	return &reminderFixture{db: db, account: acct.ID,
		sched: &activities.Scheduled{DB: db, Enrollments: &enrollment.Service{DB: db, Temporal: tc}}}
}

func (f *reminderFixture) contact(t *testing.T, name, tz, dob string, custom map[string]any) string {
	t.Helper()
	in := contacts.Input{FirstName: &name, Custom: custom}
	if tz != "" {
		in.Timezone = &tz
	}
	if dob != "" {
		in.DateOfBirth = &dob
	}
	c, err := (&contacts.Service{DB: f.db}).Create(context.Background(), f.account, in)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func (f *reminderFixture) publish(t *testing.T, def string) string {
	t.Helper()
	defs := &definitions.Service{DB: f.db}
	wf, _, err := defs.Create(context.Background(), f.account, []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := defs.Publish(context.Background(), f.account, wf.ID); err != nil {
		t.Fatal(err)
	}
	return wf.ID
}

// fire runs the activity at a nominal time and returns the contacts of the
// workflow's enrollments so far, with their scopes.
func (f *reminderFixture) fire(t *testing.T, wf, trigger, at string) (workflows.EnrollScheduledResult, map[string]string) {
	t.Helper()
	when, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.sched.EnrollScheduled(context.Background(), workflows.EnrollScheduledInput{
		ScheduleInput: workflows.ScheduleInput{AccountID: f.account, WorkflowID: wf, TriggerID: trigger}, At: when})
	if err != nil {
		t.Fatalf("firing at %s: %v", at, err)
	}
	var rows []models.Enrollment
	f.db.Where("workflow_id = ?", wf).Find(&rows)
	out := map[string]string{}
	for _, e := range rows {
		out[e.ContactID] = e.EntryScope
	}
	return res, out
}

func TestBirthdaysInEachContactsOwnTimezone(t *testing.T) {
	f := newReminderFixture(t)
	tokyo := f.contact(t, "Tokyo", "Asia/Tokyo", "1990-12-03", nil)
	newYork := f.contact(t, "New York", "America/New_York", "1985-12-03", nil)
	noZone := f.contact(t, "No zone", "", "2000-12-03", nil) // the account's zone: New York
	other := f.contact(t, "Other", "Asia/Tokyo", "1990-12-04", nil)
	wf := f.publish(t, `{"name": "bday", "settings": {"timezone": "contact"},
		"triggers": [{"id": "t1", "type": "birthday_reminder", "config": {"time": "09:00"}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}}]}`)

	// 00:00 UTC on 3 December is 09:00 in Tokyo and still 2 December in New York.
	res, got := f.fire(t, wf, "t1", "2026-12-03T00:00:00Z")
	if res.Enrolled != 1 || len(got) != 1 || got[tokyo] != "birthday:2026-12-03" {
		t.Fatalf("at 09:00 Tokyo: %+v %v", res, got)
	}
	// 13:45 UTC is 08:45 in New York: not yet.
	if res, _ := f.fire(t, wf, "t1", "2026-12-03T13:45:00Z"); res.Enrolled != 0 {
		t.Errorf("08:45 in New York enrolled %d", res.Enrolled)
	}
	// 14:00 UTC is 09:00 in New York (EST): both New York contacts; Tokyo is not enrolled again.
	res, got = f.fire(t, wf, "t1", "2026-12-03T14:00:00Z")
	if res.Enrolled != 2 || len(got) != 3 || got[newYork] == "" || got[noZone] == "" || got[other] != "" {
		t.Fatalf("at 09:00 New York: %+v %v", res, got)
	}
	// The same check again (a retry, a second fire) enrolls nobody.
	if res, _ := f.fire(t, wf, "t1", "2026-12-03T14:00:00Z"); res.Enrolled != 0 {
		t.Errorf("a repeated check enrolled %d", res.Enrolled)
	}
	// Tokyo's 4 December: the other contact.
	if res, got := f.fire(t, wf, "t1", "2026-12-04T00:15:00Z"); res.Enrolled != 1 || got[other] != "birthday:2026-12-04" {
		t.Errorf("4 December in Tokyo: %+v %v", res, got)
	}
}

func TestBirthdayOffsetsAndFebruary29(t *testing.T) {
	f := newReminderFixture(t)
	leapling := f.contact(t, "Leapling", "", "2000-02-29", nil)
	march := f.contact(t, "March", "", "1999-03-01", nil)
	wf := f.publish(t, `{"name": "bday", "settings": {"timezone": "UTC"},
		"triggers": [{"id": "before", "type": "birthday_reminder", "config": {"offset_days": -1, "time": "08:00"}},
		             {"id": "on", "type": "birthday_reminder", "config": {"time": "08:00"}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}}]}`)
	// 2027 has no 29 February: the day before the leapling's birthday (28th) is the 27th.
	if res, _ := f.fire(t, wf, "before", "2027-02-27T07:59:00Z"); res.Enrolled != 0 || res.Skipped == "" {
		t.Errorf("before 08:00: %+v", res)
	}
	res, got := f.fire(t, wf, "before", "2027-02-27T08:00:00Z")
	if res.Enrolled != 1 || got[leapling] != "birthday:2027-02-28:-1d" {
		t.Fatalf("a day before 28 February 2027: %+v %v", res, got)
	}
	// On the day (28th) the same workflow reminds again: another occasion.
	res, _ = f.fire(t, wf, "on", "2027-02-28T08:00:00Z")
	var n int64
	f.db.Model(&models.Enrollment{}).Where("workflow_id = ? AND contact_id = ?", wf, leapling).Count(&n)
	if res.Enrolled != 1 || n != 2 {
		t.Errorf("on 28 February 2027: %+v, %d enrollments of the leapling", res, n)
	}
	// In 2028 the birthday is the 29th, and 1 March is someone else's.
	if res, _ := f.fire(t, wf, "on", "2028-02-28T08:00:00Z"); res.Enrolled != 0 {
		t.Errorf("28 February 2028 enrolled %d", res.Enrolled)
	}
	if res, _ := f.fire(t, wf, "on", "2028-02-29T08:00:00Z"); res.Enrolled != 1 {
		t.Errorf("29 February 2028 enrolled %d", res.Enrolled)
	}
	if res, got := f.fire(t, wf, "on", "2028-03-01T08:00:00Z"); res.Enrolled != 1 || !slices.Contains([]string{"birthday:2028-03-01"}, got[march]) {
		t.Errorf("1 March 2028: %+v %v", res, got)
	}
}

func TestCustomDateRemindersAfterTheDateAcrossDaylightSaving(t *testing.T) {
	f := newReminderFixture(t)
	due := f.contact(t, "Due", "", "", map[string]any{"renewal": "2026-03-05"})
	asTime := f.contact(t, "As a time", "", "", map[string]any{"renewal": "2026-03-06T03:00:00Z"}) // 5 March, 22:00 in New York
	f.contact(t, "Later", "", "", map[string]any{"renewal": "2026-03-06"})
	f.contact(t, "Not a date", "", "", map[string]any{"renewal": "2026-03-05 or so"})
	wf := f.publish(t, `{"name": "renewal", "settings": {"timezone": "account"},
		"triggers": [{"id": "t1", "type": "custom_date_reminder", "config": {"field": "custom.renewal", "offset_days": 3, "time": "09:00"}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}}]}`)
	// Three days after 5 March is 8 March, the day New York moves to daylight
	// saving time: 09:00 there is 13:00 UTC, not 14:00.
	if res, _ := f.fire(t, wf, "t1", "2026-03-08T12:59:00Z"); res.Enrolled != 0 {
		t.Errorf("08:59 EDT enrolled %d", res.Enrolled)
	}
	res, got := f.fire(t, wf, "t1", "2026-03-08T13:00:00Z")
	if res.Enrolled != 2 || got[due] != "custom.renewal:2026-03-05:+3d" || got[asTime] == "" {
		t.Errorf("09:00 EDT on 8 March: %+v %v", res, got)
	}
}

func TestSchedulerRunsOncePerDayWithoutAContactAndNotWhenDrafted(t *testing.T) {
	f := newReminderFixture(t)
	wf := f.publish(t, `{"name": "monthly", "settings": {"timezone": "Europe/Paris"},
		"triggers": [{"id": "t1", "type": "scheduler", "config": {"frequency": "monthly", "day_of_month": 31, "time": "09:00"}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}}]}`)
	// 30 April is April's last day: the run of "day 31".
	if res, _ := f.fire(t, wf, "t1", "2026-04-29T07:00:00Z"); res.Enrolled != 0 {
		t.Errorf("29 April ran: %+v", res)
	}
	res, got := f.fire(t, wf, "t1", "2026-04-30T07:00:00Z") // 09:00 in Paris (CEST)
	if res.Enrolled != 1 || got[""] != "scheduler:2026-04-30" {
		t.Fatalf("30 April: %+v %v", res, got)
	}
	if res, _ := f.fire(t, wf, "t1", "2026-04-30T08:00:00Z"); res.Enrolled != 0 {
		t.Errorf("a second run on 30 April: %+v", res)
	}
	if _, err := (&definitions.Service{DB: f.db}).Draft(context.Background(), f.account, wf); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.fire(t, wf, "t1", "2026-05-31T07:00:00Z"); res.Enrolled != 0 || res.Skipped == "" {
		t.Errorf("a drafted workflow ran: %+v", res)
	}
}

package activities_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// recordsFixture is an account with the contact Ada, the records service
// and the activities wired to both (events are written to the outbox, not
// routed, so the tests count them there).
type recordsFixture struct {
	*fixture
	rs *records.Service
	a  *activities.Activities
}

func newRecordsFixture(t *testing.T) *recordsFixture {
	t.Helper()
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Email: ptr("ada@example.com")})
	rs := &records.Service{DB: f.db}
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Records: rs, Enrollments: &enrollment.Service{DB: f.db}})
	return &recordsFixture{fixture: f, rs: rs, a: a}
}

// events counts the account's events of a type.
func (f *recordsFixture) events(t *testing.T, typ string) int {
	t.Helper()
	var n int64
	if err := f.db.Model(&models.Event{}).Where("account_id = ? AND type = ?", f.account.ID, typ).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func (f *recordsFixture) count(t *testing.T, model any, where string, args ...any) int {
	t.Helper()
	var n int64
	if err := f.db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func (f *recordsFixture) user(t *testing.T, accountID, name string) string {
	t.Helper()
	u, err := f.rs.CreateUser(context.Background(), accountID, records.UserInput{Name: ptr(name)})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// otherAccount is a second tenant.
func (f *recordsFixture) otherAccount(t *testing.T) string {
	t.Helper()
	other := models.Account{ID: models.NewID(), Name: "Other", Timezone: "UTC"}
	if err := f.db.Create(&other).Error; err != nil {
		t.Fatal(err)
	}
	return other.ID
}

// failsForGood checks the step failed for good (no retry), naming want.
func failsForGood(t *testing.T, err error, want string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Fatalf("error = %v, want a non-retryable one", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want it to mention %q", err, want)
	}
}

// run executes the step input times times (Temporal retrying the same
// (enrollment, step, visit)) and returns the last result, requiring every
// attempt to give the same output.
func (f *recordsFixture) run(t *testing.T, in workflows.StepInput, times int) workflows.StepResult {
	t.Helper()
	var first workflows.StepResult
	for i := 0; i < times; i++ {
		res, err := execute(t, f.a, in)
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if i == 0 {
			first = res
		}
		for k, v := range first.Output {
			if k == "previous_user_id" || k == "changed" || k == "removed" || k == "count" {
				continue // what changed is only what this attempt changed
			}
			if res.Output[k] != v {
				t.Fatalf("attempt %d: output %s = %v, first attempt gave %v", i+1, k, res.Output[k], v)
			}
		}
	}
	return first
}

func TestAddNoteWritesOneNotePerVisitAcrossRetries(t *testing.T) {
	f := newRecordsFixture(t)
	in := f.input(`{"id": "n1", "type": "add_note", "config": {"body": "Called {{contact.first_name}}"}}`)
	res := f.run(t, in, 3)
	id, _ := res.Output["note_id"].(string)
	n, err := f.rs.GetNote(context.Background(), f.account.ID, id)
	if err != nil {
		t.Fatalf("note %q: %v", id, err)
	}
	if n.Body != "Called Ada" || n.ContactID != f.contact.ID {
		t.Errorf("note = %+v", n)
	}
	if got := f.count(t, &models.Note{}, "contact_id = ?", f.contact.ID); got != 1 {
		t.Errorf("%d notes after 3 attempts, want 1", got)
	}
	if got := f.events(t, "note_added"); got != 1 {
		t.Errorf("%d note_added events, want 1", got)
	}
	in.Visit = 2 // a loop coming back writes a new note
	f.run(t, in, 1)
	if got := f.count(t, &models.Note{}, "contact_id = ?", f.contact.ID); got != 2 {
		t.Errorf("%d notes after a second visit, want 2", got)
	}
	// A body that renders empty writes nothing, and says so.
	res = f.run(t, f.input(`{"id": "n2", "type": "add_note", "config": {"body": "{{contact.custom.missing}}"}}`), 1)
	if !res.Skipped || !strings.Contains(res.Reason, "config.body") {
		t.Errorf("empty note: %+v", res)
	}
}

func TestAddTaskIsAssignedDueAndAddedOnce(t *testing.T) {
	f := newRecordsFixture(t)
	user := f.user(t, f.account.ID, "Grace")
	in := f.input(`{"id": "t1", "type": "add_task", "config": {"title": "Call {{contact.first_name}}", "body": "About {{account.name}}",
		"assignee_id": "` + user + `", "due_in": "2d"}}`)
	before := time.Now().UTC()
	res := f.run(t, in, 3)
	task, err := f.rs.GetTask(context.Background(), f.account.ID, res.Output["task_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if task.Title != "Call Ada" || task.Body != "About Acme" || task.AssigneeID == nil || *task.AssigneeID != user {
		t.Errorf("task = %+v", task)
	}
	if task.DueAt == nil || task.DueAt.Before(before.Add(48*time.Hour-time.Second)) || task.DueAt.After(time.Now().Add(48*time.Hour)) {
		t.Errorf("due_at = %v, want two days from now", task.DueAt)
	}
	if res.Output["due_at"] != task.DueAt.UTC().Format(time.RFC3339) {
		t.Errorf("output due_at = %v", res.Output["due_at"])
	}
	if got := f.count(t, &models.Task{}, "contact_id = ?", f.contact.ID); got != 1 {
		t.Errorf("%d tasks after 3 attempts, want 1", got)
	}
	if got := f.events(t, "task_added"); got != 1 {
		t.Errorf("%d task_added events, want 1", got)
	}

	// A user of another account is no user here: the step fails for good,
	// naming the config field, and adds nothing.
	stranger := f.user(t, f.otherAccount(t), "Mallory")
	_, err = execute(t, f.a, f.input(`{"id": "t2", "type": "add_task", "config": {"title": "x", "assignee_id": "`+stranger+`"}}`))
	failsForGood(t, err, "config.assignee_id")
	if got := f.count(t, &models.Task{}, "contact_id = ?", f.contact.ID); got != 1 {
		t.Errorf("%d tasks after a refused one, want 1", got)
	}
}

func TestOpportunityStepsCreateUpdateAndRemoveOnce(t *testing.T) {
	ctx := context.Background()
	f := newRecordsFixture(t)
	pl, err := f.rs.CreatePipeline(ctx, f.account.ID, records.PipelineInput{Name: ptr("Sales"),
		Stages: &[]records.StageInput{{Name: ptr("New")}, {Name: ptr("Proposal")}}})
	if err != nil {
		t.Fatal(err)
	}
	newStage, proposal := pl.Stages[0].ID, pl.Stages[1].ID

	create := f.input(`{"id": "o1", "type": "create_opportunity", "config": {"pipeline_id": "` + pl.ID + `", "value": "1500.00"}}`)
	res := f.run(t, create, 3)
	oppID := res.Output["opportunity_id"].(string)
	if res.Output["stage_id"] != newStage || res.Output["name"] != "Ada Lovelace" || res.Output["value"] != "1500.00" || res.Output["status"] != "open" {
		t.Errorf("created = %v", res.Output)
	}
	if got := f.count(t, &models.Opportunity{}, "contact_id = ?", f.contact.ID); got != 1 {
		t.Errorf("%d opportunities after 3 attempts, want 1", got)
	}
	if got := f.events(t, "opportunity_created"); got != 1 {
		t.Errorf("%d opportunity_created events, want 1", got)
	}

	// The update closes the opportunity; its retry changes the same one
	// again (not "no open opportunity"), raising nothing more.
	update := f.input(`{"id": "o2", "type": "update_opportunity", "config": {"pipeline_id": "` + pl.ID + `",
		"stage_id": "` + proposal + `", "status": "{{event.outcome | default: \"won\"}}", "value": "2000"}}`)
	res = f.run(t, update, 3)
	if res.Output["opportunity_id"] != oppID || res.Output["stage_id"] != proposal || res.Output["status"] != "won" || res.Output["value"] != "2000" {
		t.Errorf("updated = %v", res.Output)
	}
	if f.events(t, "pipeline_stage_changed") != 1 || f.events(t, "opportunity_status_changed") != 1 {
		t.Errorf("stage/status events = %d/%d, want 1/1", f.events(t, "pipeline_stage_changed"), f.events(t, "opportunity_status_changed"))
	}
	// Another pass finds no open opportunity: skipped, with the reason.
	update.Visit = 2
	if res := f.run(t, update, 1); !res.Skipped || !strings.Contains(res.Reason, "no open opportunity") {
		t.Errorf("update without an open opportunity: %+v", res)
	}

	// Bad values fail for good, named by config path.
	_, err = execute(t, f.a, f.input(`{"id": "o3", "type": "create_opportunity", "config": {"pipeline_id": "`+pl.ID+`", "stage_id": "nope"}}`))
	failsForGood(t, err, "config.stage_id")
	_, err = execute(t, f.a, f.input(`{"id": "o4", "type": "create_opportunity", "config": {"pipeline_id": "`+pl.ID+`", "value": "{{contact.first_name}}"}}`))
	failsForGood(t, err, "config.value")
	otherPipeline, err := f.rs.CreatePipeline(ctx, f.otherAccount(t), records.PipelineInput{Name: ptr("Theirs"), Stages: &[]records.StageInput{{Name: ptr("A")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = execute(t, f.a, f.input(`{"id": "o5", "type": "update_opportunity", "config": {"pipeline_id": "`+otherPipeline.ID+`", "status": "lost"}}`))
	failsForGood(t, err, "config.pipeline_id")

	// A second opportunity in the pipeline; remove takes both, once.
	f.run(t, f.input(`{"id": "o6", "type": "create_opportunity", "config": {"pipeline_id": "`+pl.ID+`", "name": "Upsell"}}`), 1)
	remove := f.input(`{"id": "o7", "type": "remove_opportunity", "config": {"pipeline_id": "` + pl.ID + `"}}`)
	res = f.run(t, remove, 1)
	if res.Output["count"] != float64(2) { // outputs come back through JSON
		t.Errorf("removed = %v, want 2", res.Output)
	}
	// Run again for the same visit, it removes nothing more and reports
	// what it did (see steps.RunsOnce).
	if again := f.run(t, remove, 1); again.Output["count"] != float64(2) {
		t.Errorf("retried remove = %v, want the first run's result", again.Output)
	}
	if got := f.count(t, &models.Opportunity{}, "contact_id = ?", f.contact.ID); got != 0 {
		t.Errorf("%d opportunities left, want 0", got)
	}
}

func TestCreateContactDedupesAndMakesOneContactAcrossRetries(t *testing.T) {
	ctx := context.Background()
	f := newRecordsFixture(t)
	in := f.input(`{"id": "c1", "type": "create_contact", "config": {"fields": {"first_name": "Referral of {{contact.first_name}}",
		"email": "Friend@Example.com", "custom.referrer": "{{contact.id}}"}}}`)
	res := f.run(t, in, 3)
	id := res.Output["contact_id"].(string)
	if res.Output["created"] != true || id == f.contact.ID {
		t.Fatalf("output = %v", res.Output)
	}
	c, err := f.cs.Get(ctx, f.account.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "Referral of Ada" || c.Email != "friend@example.com" || c.Custom["referrer"] != f.contact.ID {
		t.Errorf("contact = %+v", c)
	}
	if got := f.count(t, &models.Contact{}, "account_id = ? AND email = ?", f.account.ID, "friend@example.com"); got != 1 {
		t.Errorf("%d contacts with the email after 3 attempts, want 1", got)
	}
	if got := f.events(t, "contact_created"); got != 2 { // Ada's and the friend's
		t.Errorf("%d contact_created events, want 2", got)
	}

	// Another enrollment with the same email (other case) updates that contact.
	again := f.input(`{"id": "c1", "type": "create_contact", "config": {"fields": {"email": "FRIEND@example.com", "last_name": "Byron"}}}`)
	again.Run.EnrollmentID = "enr2"
	res = f.run(t, again, 1)
	if res.Output["contact_id"] != id || res.Output["created"] != false {
		t.Errorf("same email: output = %v, want contact %s updated", res.Output, id)
	}
	if c, _ := f.cs.Get(ctx, f.account.ID, id); c.LastName != "Byron" || c.FirstName != "Referral of Ada" {
		t.Errorf("updated contact = %+v", c)
	}

	// The phone finds a contact too, written any way the service reads it.
	phoned, err := f.cs.Create(ctx, f.account.ID, contacts.Input{FirstName: ptr("Bob"), Phone: ptr("+14155550199")})
	if err != nil {
		t.Fatal(err)
	}
	byPhone := f.input(`{"id": "c2", "type": "create_contact", "config": {"fields": {"phone": "(415) 555-0199", "custom.plan": "pro"}}}`)
	if res := f.run(t, byPhone, 1); res.Output["contact_id"] != phoned.ID || res.Output["created"] != false {
		t.Errorf("same phone: output = %v, want %s", res.Output, phoned.ID)
	}

	// A contact of another account with the email is not this account's.
	other := f.otherAccount(t)
	if _, err := f.cs.Create(ctx, other, contacts.Input{Email: ptr("twin@example.com")}); err != nil {
		t.Fatal(err)
	}
	twin := f.input(`{"id": "c3", "type": "create_contact", "config": {"fields": {"email": "twin@example.com"}}}`)
	if res := f.run(t, twin, 1); res.Output["created"] != true {
		t.Errorf("other account's contact was matched: %v", res.Output)
	}

	// A value the contacts service refuses fails for good, by config path.
	_, err = execute(t, f.a, f.input(`{"id": "c4", "type": "create_contact", "config": {"fields": {"email": "{{contact.first_name}}"}}}`))
	failsForGood(t, err, "config.fields.email")

	// A run without a contact (a scheduler trigger's) can create contacts.
	free := f.input(`{"id": "c5", "type": "create_contact", "config": {"fields": {"first_name": "Walk-in"}}}`)
	free.Run.ContactID = ""
	if res := f.run(t, free, 2); res.Output["created"] != true {
		t.Errorf("contact-free create: %v", res.Output)
	}
	if got := f.count(t, &models.Contact{}, "account_id = ? AND first_name = ?", f.account.ID, "Walk-in"); got != 1 {
		t.Errorf("%d walk-ins, want 1", got)
	}
}

func TestDeleteContactEndsItsOtherEnrollmentsAndCompletesOnRetry(t *testing.T) {
	f := newRecordsFixture(t)
	enroll := func(id, status string) {
		t.Helper()
		e := models.Enrollment{ID: id, AccountID: f.account.ID, WorkflowID: "wf-" + id, ContactID: f.contact.ID, EntryKey: "1",
			Version: 1, Status: status, StartedAt: time.Now()}
		if err := f.db.Create(&e).Error; err != nil {
			t.Fatal(err)
		}
	}
	enroll("enr1", models.EnrollmentActive) // the run of the step
	enroll("enr-other", models.EnrollmentWaiting)
	enroll("enr-done", models.EnrollmentCompleted)

	in := f.input(`{"id": "d1", "type": "delete_contact"}`)
	res := f.run(t, in, 1)
	if res.Output["deleted"] != true || res.Output["contact_id"] != f.contact.ID {
		t.Errorf("output = %v", res.Output)
	}
	if _, err := f.cs.Get(context.Background(), f.account.ID, f.contact.ID); !errors.Is(err, contacts.ErrNotFound) {
		t.Errorf("contact still there: %v", err)
	}
	status := func(id string) (string, string) {
		var e models.Enrollment
		if err := f.db.First(&e, "id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		return e.Status, e.ExitReason
	}
	if s, reason := status("enr-other"); s != models.EnrollmentExited || !strings.Contains(reason, "deleted by step d1") {
		t.Errorf("other enrollment: %s (%s), want exited", s, reason)
	}
	if s, _ := status("enr1"); s != models.EnrollmentActive {
		t.Errorf("own enrollment: %s, want it left to end itself", s)
	}
	if s, _ := status("enr-done"); s != models.EnrollmentCompleted {
		t.Errorf("finished enrollment: %s, want it untouched", s)
	}

	// A retry (the first attempt's answer was lost) finds the contact gone
	// by its own hand and completes with the same output.
	res, err := execute(t, f.a, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res.Output["deleted"] != true {
		t.Errorf("retry output = %v", res.Output)
	}
	var log models.StepExecution
	if err := f.db.First(&log, "enrollment_id = ? AND step_id = ?", "enr1", "d1").Error; err != nil {
		t.Fatal(err)
	}
	if log.Status != models.StepCompleted {
		t.Errorf("log = %s, want completed", log.Status)
	}
	// Another step of the run finds no contact: that one fails, as before.
	_, err = execute(t, f.a, f.input(`{"id": "d2", "type": "delete_contact"}`))
	failsForGood(t, err, "no longer exists")
}

func TestAssignUserRoundRobinIsFairAndTakesOneTurnPerVisit(t *testing.T) {
	f := newRecordsFixture(t)
	u1, u2, u3 := f.user(t, f.account.ID, "One"), f.user(t, f.account.ID, "Two"), f.user(t, f.account.ID, "Three")
	stranger := f.user(t, f.otherAccount(t), "Stranger")
	step := `{"id": "a1", "type": "assign_user", "config": {"user_ids": ["` + u1 + `", "` + stranger + `", "` + u2 + `", "` + u3 + `"]}}`
	assign := func(enrollmentID string, times int) string {
		t.Helper()
		in := f.input(step)
		in.Run.EnrollmentID = enrollmentID
		return f.run(t, in, times).Output["user_id"].(string)
	}
	var got []string
	for i, e := range []string{"e1", "e2", "e3", "e4", "e5", "e6"} {
		got = append(got, assign(e, 1+i%2)) // every other one retried: it takes no extra turn
	}
	want := []string{u1, u2, u3, u1, u2, u3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("assignments = %v, want %v (the other account's user is never chosen)", got, want)
		}
	}
	if again := assign("e2", 1); again != u2 {
		t.Errorf("a late retry of e2 chose %s, want %s again", again, u2)
	}
	if next := assign("e7", 1); next != u1 {
		t.Errorf("after six turns the seventh went to %s, want %s", next, u1)
	}
	c, _ := f.cs.Get(context.Background(), f.account.ID, f.contact.ID)
	if c.AssignedUserID == nil || *c.AssignedUserID != u1 {
		t.Errorf("contact assigned to %v, want %s", c.AssignedUserID, u1)
	}
	if f.events(t, "contact_changed") == 0 {
		t.Error("assignment raised no contact_changed")
	}

	// first: always the first listed user that still exists.
	first := f.input(`{"id": "a2", "type": "assign_user", "config": {"mode": "first", "user_ids": ["gone", "` + u3 + `", "` + u1 + `"]}}`)
	if res := f.run(t, first, 1); res.Output["user_id"] != u3 || res.Output["previous_user_id"] != u1 {
		t.Errorf("first: %v", res.Output)
	}
	// No listed user exists: the step fails for good.
	_, err := execute(t, f.a, f.input(`{"id": "a3", "type": "assign_user", "config": {"user_ids": ["gone", "`+stranger+`"]}}`))
	failsForGood(t, err, "config.user_ids")

	unassign := f.input(`{"id": "a4", "type": "unassign_user"}`)
	if res := f.run(t, unassign, 2); res.Output["previous_user_id"] != u3 {
		t.Errorf("unassign output = %v, want the previous user %s", res.Output, u3)
	}
	c, _ = f.cs.Get(context.Background(), f.account.ID, f.contact.ID)
	if c.AssignedUserID != nil {
		t.Errorf("still assigned to %s", *c.AssignedUserID)
	}
}

func TestSetDNDRaisesOneEventPerChangedChannel(t *testing.T) {
	f := newRecordsFixture(t)
	res := f.run(t, f.input(`{"id": "n1", "type": "set_dnd", "config": {"channel": "all", "value": true}}`), 3)
	if res.Output["value"] != true || res.Output["channel"] != "all" {
		t.Errorf("output = %v", res.Output)
	}
	c, _ := f.cs.Get(context.Background(), f.account.ID, f.contact.ID)
	if !c.DNDSMS || !c.DNDEmail {
		t.Errorf("dnd = sms %v, email %v", c.DNDSMS, c.DNDEmail)
	}
	if got := f.events(t, "contact_dnd_changed"); got != 2 {
		t.Errorf("%d contact_dnd_changed events after 3 attempts, want 2 (sms, email)", got)
	}
	f.run(t, f.input(`{"id": "n2", "type": "set_dnd", "config": {"channel": "sms", "value": false}}`), 1)
	c, _ = f.cs.Get(context.Background(), f.account.ID, f.contact.ID)
	if c.DNDSMS || !c.DNDEmail {
		t.Errorf("dnd = sms %v, email %v, want only email", c.DNDSMS, c.DNDEmail)
	}
	var ev models.Event
	f.db.Where("account_id = ? AND type = ?", f.account.ID, "contact_dnd_changed").Order("created_at DESC, id DESC").First(&ev)
	if ev.Data["channel"] != "sms" || ev.Data["dnd"] != false {
		t.Errorf("last dnd event data = %v", ev.Data)
	}
}

// TestAssignUserRoundRobinStaysFairUnderConcurrentEnrollments: twelve
// enrollments reaching the step at once take twelve distinct turns.
func TestAssignUserRoundRobinStaysFairUnderConcurrentEnrollments(t *testing.T) {
	f := newRecordsFixture(t)
	users := []string{f.user(t, f.account.ID, "One"), f.user(t, f.account.ID, "Two"), f.user(t, f.account.ID, "Three")}
	step := `{"id": "rr", "type": "assign_user", "config": {"user_ids": ["` + strings.Join(users, `", "`) + `"]}}`
	results := make(chan string, 12)
	errs := make(chan error, 12)
	for i := 0; i < 12; i++ {
		in := f.input(step)
		in.Run.EnrollmentID = fmt.Sprintf("c%d", i)
		go func() {
			res, err := execute(t, f.a, in)
			if err != nil {
				errs <- err
				return
			}
			results <- res.Output["user_id"].(string)
		}()
	}
	counts := map[string]int{}
	for i := 0; i < 12; i++ {
		select {
		case err := <-errs:
			t.Fatal(err)
		case u := <-results:
			counts[u]++
		}
	}
	for _, u := range users {
		if counts[u] != 4 {
			t.Errorf("assignments per user = %v, want 4 each", counts)
			break
		}
	}
}

package history

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
)

// fixture is one account's workflow with a few runs written the way the
// activities write them, and a second account to check isolation.
type fixture struct {
	db       *gorm.DB
	svc      *Service
	acct     string
	other    string
	wf       string
	contacts []string
	t0       time.Time
}

func mustCreate(t testing.TB, db *gorm.DB, v any) {
	t.Helper()
	if err := db.Create(v).Error; err != nil {
		t.Fatalf("creating %T: %v", v, err)
	}
}

const testDefinition = `{"name":"Nurture","start":"s1","steps":[
 {"id":"s1","type":"send_sms","config":{"body":"hi"},"next":"s2"},
 {"id":"s2","type":"wait","config":{"mode":"delay","duration":"1d"},"next":"g"},
 {"id":"g","type":"goal","config":{"events":[]},"next":"s3"},
 {"id":"s3","type":"webhook","config":{"url":"http://x"}}]}`

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testdb.Open(t)
	f := &fixture{db: db, svc: &Service{DB: db}, acct: models.NewID(), other: models.NewID(), wf: models.NewID(),
		t0: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	mustCreate(t, db, &models.Account{ID: f.acct, Name: "A"})
	mustCreate(t, db, &models.Account{ID: f.other, Name: "B"})
	mustCreate(t, db, &models.Workflow{ID: f.wf, AccountID: f.acct, Name: "Nurture", Status: models.WorkflowPublished,
		Version: 1, Definition: []byte(testDefinition)})
	mustCreate(t, db, &models.WorkflowVersion{ID: models.NewID(), AccountID: f.acct, WorkflowID: f.wf, Version: 1,
		Definition: []byte(testDefinition), PublishedAt: f.t0})
	for i, name := range []string{"Ada", "Bob", "Cy"} {
		c := models.Contact{ID: models.NewID(), AccountID: f.acct, FirstName: name, Phone: fmt.Sprintf("+1415555010%d", i)}
		mustCreate(t, db, &c)
		f.contacts = append(f.contacts, c.ID)
	}
	return f
}

// run writes an enrollment that started at start+day days, its steps
// (id:status, one minute apart) and its final status.
func (f *fixture) run(t *testing.T, contact string, day int, status string, steps ...string) string {
	t.Helper()
	start := f.t0.Add(time.Duration(day) * 24 * time.Hour)
	e := models.Enrollment{ID: models.NewID(), AccountID: f.acct, WorkflowID: f.wf, ContactID: contact,
		EntryKey: models.NewID(), Version: 1, Status: status, StartedAt: start}
	if status == models.EnrollmentCompleted || status == models.EnrollmentFailed || status == models.EnrollmentExited {
		end := start.Add(time.Duration(len(steps)) * time.Minute)
		e.FinishedAt = &end
	}
	mustCreate(t, f.db, &e)
	for i, s := range steps {
		id, st, _ := strings.Cut(s, ":")
		typ := map[string]string{"s1": "send_sms", "s2": "wait", "g": "goal", "s3": "webhook"}[id]
		at := start.Add(time.Duration(i) * time.Minute)
		row := models.StepExecution{ID: models.NewID(), AccountID: f.acct, WorkflowID: f.wf, EnrollmentID: e.ID,
			ContactID: contact, StepID: id, Visit: 1, StepType: typ, Status: st, Attempts: 1, StartedAt: at,
			Output: map[string]any{"n": i}}
		if st == models.StepFailed {
			row.Error = "webhook answered 500 three times"
		}
		if st != models.StepWaiting {
			fin := at.Add(time.Second)
			row.FinishedAt = &fin
		}
		mustCreate(t, f.db, &row)
		if typ == "send_sms" {
			mustCreate(t, f.db, &models.Message{ID: models.NewID(), AccountID: f.acct, ContactID: contact, EnrollmentID: e.ID,
				StepID: id, Channel: "sms", To: "+1", Body: "hi", Status: models.MessageDelivered, CreatedAt: at, UpdatedAt: at})
		}
	}
	return e.ID
}

func TestStatsCountEveryStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b, c := f.contacts[0], f.contacts[1], f.contacts[2]
	f.run(t, a, 0, models.EnrollmentCompleted, "s1:completed", "s2:completed", "g:completed", "s3:completed")
	f.run(t, b, 0, models.EnrollmentFailed, "s1:completed", "s2:completed", "g:completed", "s3:failed")
	f.run(t, c, 1, models.EnrollmentWaiting, "s1:completed", "s2:waiting")
	f.run(t, c, 2, models.EnrollmentExited, "s1:completed", "s2:skipped")
	// Ada replies to her SMS; Bob's reply came before anything was sent to him in this run's day? No: after.
	mustCreate(t, f.db, &models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "customer_replied",
		ContactID: a, Data: map[string]any{"channel": "sms", "body": "yes", "message_id": "SM123"}, OccurredAt: f.t0.Add(time.Hour)})
	// An SMS reply with no message sent before it is credited to nothing.
	mustCreate(t, f.db, &models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "customer_replied",
		ContactID: b, Data: map[string]any{"channel": "sms", "body": "early"}, OccurredAt: f.t0.Add(-time.Hour)})

	st, err := f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: f.wf})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("enrolled=%d active=%d waiting=%d completed=%d exited=%d failed=%d goal=%d",
		st.Enrolled, st.Active, st.Waiting, st.Completed, st.Exited, st.Failed, st.GoalReached)
	if want := "enrolled=4 active=0 waiting=1 completed=1 exited=1 failed=1 goal=2"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	wantSteps := map[string]StepStats{"s1": {Executed: 4}, "s2": {Executed: 2, Waiting: 1, Skipped: 1},
		"g": {Executed: 2}, "s3": {Executed: 1, Failed: 1}}
	for id, w := range wantSteps {
		if st.Steps[id] == nil || *st.Steps[id] != w {
			t.Errorf("steps[%s] = %+v, want %+v", id, st.Steps[id], w)
		}
	}
	if m := st.Messages["s1"]; m == nil || *m != (MessageStats{Sent: 4, Delivered: 4, Replied: 1}) {
		t.Errorf("messages[s1] = %+v", m)
	}
	days := []string{}
	for _, d := range st.ByDay {
		days = append(days, fmt.Sprintf("%s:%d/%d/%d", d.Date, d.Enrolled, d.Completed, d.Failed))
	}
	if got, want := strings.Join(days, " "), "2025-03-01:2/1/1 2025-03-02:1/0/0 2025-03-03:1/0/0"; got != want {
		t.Errorf("by_day = %s, want %s", got, want)
	}

	// A range keeps what started in it.
	from, to := f.t0.Add(24*time.Hour), f.t0.Add(48*time.Hour)
	st, err = f.svc.Stats(ctx, StatsFilter{AccountID: f.acct, WorkflowID: f.wf, From: &from, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	if st.Enrolled != 1 || st.Waiting != 1 || st.GoalReached != 0 || st.Steps["s1"].Executed != 1 || len(st.ByDay) != 1 {
		t.Errorf("ranged stats = %+v steps %+v", st, st.Steps["s1"])
	}
	if _, err := f.svc.Stats(ctx, StatsFilter{AccountID: f.other, WorkflowID: f.wf}); err != ErrWorkflowNotFound {
		t.Errorf("another account's stats: %v", err)
	}
}

func TestEmailEventsCountOpensAndClicksOfTheirMessage(t *testing.T) {
	f := newFixture(t)
	a := f.contacts[0]
	e := f.run(t, a, 0, models.EnrollmentCompleted)
	msg := models.Message{ID: models.NewID(), AccountID: f.acct, ContactID: a, EnrollmentID: e, StepID: "mail",
		Channel: "email", To: "a@x", Body: "b", Status: models.MessageSent}
	mustCreate(t, f.db, &msg)
	for _, kind := range []string{"opened", "opened", "clicked", "bounced"} {
		mustCreate(t, f.db, &models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "email_event",
			ContactID: a, Data: map[string]any{"event": kind, "message_id": msg.ID}, OccurredAt: time.Now().UTC()})
	}
	st, err := f.svc.Stats(context.Background(), StatsFilter{AccountID: f.acct, WorkflowID: f.wf})
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Messages["mail"]; m == nil || *m != (MessageStats{Sent: 1, Opened: 1, Clicked: 1}) {
		t.Errorf("messages[mail] = %+v", m)
	}
}

func TestLogsNewestFirstWithFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.contacts[0], f.contacts[1]
	f.run(t, a, 0, models.EnrollmentCompleted, "s1:completed", "s2:completed", "g:completed", "s3:completed")
	f.run(t, b, 1, models.EnrollmentFailed, "s1:completed", "s2:completed", "g:completed", "s3:failed")

	var seen []string
	var after *Cursor
	for page := 0; ; page++ {
		rows, next, err := f.svc.Logs(ctx, LogFilter{AccountID: f.acct, WorkflowID: f.wf, Limit: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			seen = append(seen, r.ContactName+"/"+r.StepID)
		}
		if next == nil {
			break
		}
		if after, err = DecodeCursor(next.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.Join(seen, " "), "Bob/s3 Bob/g Bob/s2 Bob/s1 Ada/s3 Ada/g Ada/s2 Ada/s1"; got != want {
		t.Errorf("log = %s, want %s", got, want)
	}
	rows, _, err := f.svc.Logs(ctx, LogFilter{AccountID: f.acct, WorkflowID: f.wf, Limit: 10, Status: models.StepFailed})
	if err != nil || len(rows) != 1 || rows[0].Error != "webhook answered 500 three times" || rows[0].ContactID != b {
		t.Errorf("failed rows = %+v, %v", rows, err)
	}
	to := f.t0.Add(24 * time.Hour)
	rows, _, err = f.svc.Logs(ctx, LogFilter{AccountID: f.acct, WorkflowID: f.wf, Limit: 10, StepID: "s1", To: &to})
	if err != nil || len(rows) != 1 || rows[0].ContactName != "Ada" {
		t.Errorf("s1 before day 1 = %+v, %v", rows, err)
	}
	rows, _, err = f.svc.Logs(ctx, LogFilter{AccountID: f.acct, WorkflowID: f.wf, Limit: 10, ContactID: a})
	if err != nil || len(rows) != 4 {
		t.Errorf("Ada's rows = %d, %v", len(rows), err)
	}
	if _, _, err := f.svc.Logs(ctx, LogFilter{AccountID: f.other, WorkflowID: f.wf, Limit: 10}); err != ErrWorkflowNotFound {
		t.Errorf("another account's log: %v", err)
	}
}

func TestTimelineMergesEventsAndStepsAcrossWorkflows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.contacts[0]
	e := f.run(t, a, 0, models.EnrollmentCompleted, "s1:completed", "s2:completed")
	mustCreate(t, f.db, &models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "contact_tag_added",
		ContactID: a, Data: map[string]any{"tag": "lead"}, Enrollments: []string{e}, OccurredAt: f.t0.Add(-time.Second)})
	mustCreate(t, f.db, &models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "customer_replied",
		ContactID: a, Data: map[string]any{"channel": "sms"}, OccurredAt: f.t0.Add(30 * time.Second)})

	var seen []string
	var after *Cursor
	for {
		entries, next, err := f.svc.Timeline(ctx, f.acct, a, 2, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			switch en.Kind {
			case EntryEvent:
				s := "event:" + en.Event.Type
				for _, st := range en.Started {
					s += "→" + st.WorkflowName
				}
				seen = append(seen, s)
			case EntryStep:
				seen = append(seen, "step:"+en.WorkflowName+"/"+en.Step.StepID)
			}
		}
		if next == nil {
			break
		}
		after = next
	}
	want := "step:Nurture/s2 event:customer_replied step:Nurture/s1 event:contact_tag_added→Nurture"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("timeline = %s, want %s", got, want)
	}
	if _, _, err := f.svc.Timeline(ctx, f.other, a, 10, nil); err != ErrContactNotFound {
		t.Errorf("another account's contact: %v", err)
	}
}

func TestPruneDeletesOldLogsOfFinishedEnrollmentsOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.contacts[0], f.contacts[1]
	done := f.run(t, a, 0, models.EnrollmentCompleted, "s1:completed", "s2:completed")
	waiting := f.run(t, b, 0, models.EnrollmentWaiting, "s1:completed", "s2:waiting")
	routed := f.t0
	oldEv := models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "contact_created",
		ContactID: a, OccurredAt: f.t0, RoutedAt: &routed}
	keepEv := models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: models.NewID(), Type: "contact_created",
		ContactID: b, OccurredAt: f.t0, RoutedAt: &routed}
	mustCreate(t, f.db, &oldEv)
	mustCreate(t, f.db, &keepEv)
	if err := f.db.Model(&models.Enrollment{}).Where("id = ?", waiting).Update("event_id", keepEv.ID).Error; err != nil {
		t.Fatal(err)
	}
	now := f.t0.Add(100 * 24 * time.Hour)
	// Within the retention nothing goes.
	if p, err := f.svc.Prune(ctx, 200*24*time.Hour, now); err != nil || p != (Pruned{}) {
		t.Fatalf("prune within retention = %+v, %v", p, err)
	}
	p, err := f.svc.Prune(ctx, 90*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if p != (Pruned{Steps: 2, Events: 1}) {
		t.Errorf("pruned %+v, want 2 steps and 1 event", p)
	}
	var left []models.StepExecution
	f.db.Find(&left)
	for _, r := range left {
		if r.EnrollmentID == done {
			t.Errorf("a step of the finished enrollment survived: %+v", r)
		}
	}
	if len(left) != 2 {
		t.Errorf("%d steps left, want the waiting enrollment's 2", len(left))
	}
	var events []models.Event
	f.db.Find(&events)
	if len(events) != 1 || events[0].ID != keepEv.ID {
		t.Errorf("events left = %+v", events)
	}
	var n int64
	f.db.Model(&models.Enrollment{}).Count(&n)
	if n != 2 {
		t.Errorf("enrollments = %d; pruning must keep them", n)
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if got, err := ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"soon", "10m", "-3d"} {
		if _, err := ParseRetention(bad); err == nil {
			t.Errorf("ParseRetention(%q) accepted", bad)
		}
	}
}

func TestSummarizeBoundsOutput(t *testing.T) {
	out := map[string]any{"long": strings.Repeat("x", 500), "small": map[string]any{"a": 1},
		"body": map[string]any{"html": strings.Repeat("y", 400)}}
	for i := 0; i < 20; i++ {
		out[fmt.Sprintf("z%02d", i)] = i
	}
	sum, cut := Summarize(out)
	if !cut || len(sum) != summaryMaxKeys {
		t.Fatalf("summary has %d keys, cut=%v", len(sum), cut)
	}
	if s, _ := sum["long"].(string); len([]rune(s)) != summaryMaxString+1 {
		t.Errorf("long = %q", sum["long"])
	}
	if sum["body"] != "(object with 1 keys)" {
		t.Errorf("body = %v", sum["body"])
	}
	if small, ok := sum["small"].(map[string]any); !ok || small["a"] != 1 {
		t.Errorf("small = %v", sum["small"])
	}
	if sum, cut := Summarize(map[string]any{"status": "sent"}); cut || sum["status"] != "sent" {
		t.Errorf("small output changed: %v %v", sum, cut)
	}
}

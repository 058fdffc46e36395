package enrollment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

type fixture struct {
	db      *gorm.DB
	svc     *Service
	tc      *mocks.Client
	starts  atomic.Int32
	mu      sync.Mutex
	options []client.StartWorkflowOptions
	inputs  []workflows.Input
	account string
	contact string
	failing atomic.Bool
	signals []string
	cancels []string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := testdb.Open(t)
	f := &fixture{db: db, tc: &mocks.Client{}}
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run-1")
	run.On("GetID").Return("wf")
	f.tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
			if f.failing.Load() {
				return nil, errors.New("temporal unavailable")
			}
			f.starts.Add(1)
			f.mu.Lock()
			f.options = append(f.options, o)
			f.inputs = append(f.inputs, args[0].(workflows.Input))
			f.mu.Unlock()
			return run, nil
		})
	f.tc.On("SignalWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, id, _ string, name string, arg any) error {
			f.mu.Lock()
			f.signals = append(f.signals, id+" "+name+" "+arg.(workflows.Event).Type)
			f.mu.Unlock()
			return nil
		})
	f.tc.On("CancelWorkflow", mock.Anything, mock.Anything, mock.Anything).
		Return(func(_ context.Context, id, _ string) error {
			f.mu.Lock()
			f.cancels = append(f.cancels, id)
			f.mu.Unlock()
			return nil
		})
	f.svc = &Service{DB: db, Temporal: f.tc}
	acct := models.Account{ID: models.NewID(), Name: "A", Timezone: "UTC"}
	if err := db.Create(&acct).Error; err != nil {
		t.Fatal(err)
	}
	f.account = acct.ID
	c, err := (&contacts.Service{DB: db}).Create(context.Background(), acct.ID, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	f.contact = c.ID
	return f
}

func ptr[T any](v T) *T { return &v }

func (f *fixture) workflow(t testing.TB, reentry, publish bool) string {
	t.Helper()
	defs := &definitions.Service{DB: f.db}
	wf, _, err := defs.Create(context.Background(), f.account, []byte(fmt.Sprintf(`{"name": "w", "settings": {"allow_reentry": %v},
		"triggers": [{"id": "t1", "type": "contact_tag_added", "filters": {"all": [{"field": "event.tag", "op": "is", "value": "lead"}]}},
		             {"id": "t2", "type": "contact_tag_added", "filters": {"all": [{"field": "contact.email", "op": "ends_with", "value": "example.com"}]}}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}}]}`, reentry)))
	if err != nil {
		t.Fatal(err)
	}
	if publish {
		if _, err := defs.Publish(context.Background(), f.account, wf.ID); err != nil {
			t.Fatal(err)
		}
	}
	return wf.ID
}

func (f *fixture) event(t *testing.T, tag string) *models.Event {
	t.Helper()
	id := models.NewID()
	ev := &models.Event{ID: id, AccountID: f.account, ExternalID: id, Type: "contact_tag_added", ContactID: f.contact,
		Data: map[string]any{"tag": tag}, OccurredAt: time.Now().UTC()}
	if err := f.db.Create(ev).Error; err != nil {
		t.Fatal(err)
	}
	return ev
}

func (f *fixture) enrollments(t *testing.T, wf string) []models.Enrollment {
	var rows []models.Enrollment
	if err := f.db.Where("workflow_id = ?", wf).Order("entry_no").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestFiftyConcurrentEventsEnrollOnce(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	events := make([]*models.Event, 50)
	for i := range events {
		events[i] = f.event(t, "lead")
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(events))
	for _, ev := range events {
		wg.Add(1)
		go func(ev *models.Event) {
			defer wg.Done()
			errs <- f.svc.Route(context.Background(), ev)
		}(ev)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if rows := f.enrollments(t, wf); len(rows) != 1 {
		t.Fatalf("enrollments = %d, want 1", len(rows))
	}
	if n := f.starts.Load(); n != 1 {
		t.Errorf("runs started = %d, want 1", n)
	}
	var started int
	var routed []models.Event
	f.db.Where("type = ?", "contact_tag_added").Find(&routed)
	for _, ev := range routed {
		if ev.RoutedAt == nil {
			t.Errorf("event %s not marked routed", ev.ID)
		}
		started += len(ev.Enrollments)
	}
	if started != 1 {
		t.Errorf("events record %d started enrollments, want 1", started)
	}
}

func TestRunOptionsCarryIDSearchAttributesAndEvent(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	if err := f.svc.Route(context.Background(), f.event(t, "lead")); err != nil {
		t.Fatal(err)
	}
	o, in := f.options[0], f.inputs[0]
	if o.ID != "enroll/"+wf+"/"+f.contact+"/1" || o.TaskQueue != workflows.TaskQueue {
		t.Errorf("id %q queue %q", o.ID, o.TaskQueue)
	}
	for key, want := range map[string]string{"CrmAccountId": f.account, "CrmWorkflowId": wf, "CrmContactId": f.contact} {
		var got string
		for k, v := range o.TypedSearchAttributes.GetUntypedValues() {
			if k.GetName() == key {
				got, _ = v.(string)
			}
		}
		if got != want {
			t.Errorf("search attribute %s = %q, want %q", key, got, want)
		}
	}
	if o.Memo["contact"] != "Ada" || o.Memo["workflow"] != "w" {
		t.Errorf("memo = %v", o.Memo)
	}
	if in.Event == nil || in.Event.Data["tag"] != "lead" || in.Version != 1 {
		t.Errorf("input = %+v", in)
	}
	rows := f.enrollments(t, wf)
	if rows[0].TriggerID != "t1" || rows[0].TemporalRunID != "run-1" {
		t.Errorf("enrollment = %+v", rows[0])
	}
}

func TestDraftNeverFiresAndFiltersSelect(t *testing.T) {
	f := newFixture(t)
	draft := f.workflow(t, false, false)
	if err := f.svc.Route(context.Background(), f.event(t, "lead")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.enrollments(t, draft)); n != 0 {
		t.Errorf("draft workflow enrolled %d", n)
	}
	// Published then drafted again: stops firing.
	defs := &definitions.Service{DB: f.db}
	wf := f.workflow(t, false, true)
	if _, err := defs.Draft(context.Background(), f.account, wf); err != nil {
		t.Fatal(err)
	}
	f.svc.Route(context.Background(), f.event(t, "lead"))
	if n := len(f.enrollments(t, wf)); n != 0 {
		t.Errorf("drafted workflow enrolled %d", n)
	}
	if _, _, err := f.svc.Enroll(context.Background(), Request{AccountID: f.account, WorkflowID: wf, ContactID: f.contact}); !errors.Is(err, ErrNotPublished) {
		t.Errorf("manual enroll into a draft: %v", err)
	}
}

func TestFilterMismatchDoesNotEnroll(t *testing.T) {
	f := newFixture(t)
	// the second trigger matches example.com emails; use a contact without one
	c, _ := (&contacts.Service{DB: f.db}).Create(context.Background(), f.account, contacts.Input{FirstName: ptr("Bo")})
	f.contact = c.ID
	wf := f.workflow(t, false, true)
	f.svc.Route(context.Background(), f.event(t, "customer"))
	if n := len(f.enrollments(t, wf)); n != 0 {
		t.Errorf("enrolled %d on a non-matching event", n)
	}
	f.svc.Route(context.Background(), f.event(t, "LEAD"))
	if n := len(f.enrollments(t, wf)); n != 1 {
		t.Errorf("enrolled %d on a matching event (tags compare without case)", n)
	}
}

func TestReentry(t *testing.T) {
	f := newFixture(t)
	once := f.workflow(t, false, true)
	again := f.workflow(t, true, true)
	ctx := context.Background()
	f.svc.Route(ctx, f.event(t, "lead"))
	f.db.Model(&models.Enrollment{}).Where("1 = 1").Update("status", models.EnrollmentCompleted)
	f.svc.Route(ctx, f.event(t, "lead"))
	if n := len(f.enrollments(t, once)); n != 1 {
		t.Errorf("re-entry off: %d enrollments after finishing, want 1", n)
	}
	rows := f.enrollments(t, again)
	if len(rows) != 2 || rows[1].EntryNo != 2 {
		t.Fatalf("re-entry on: %+v", rows)
	}
	// While an entry is active, no second one starts.
	f.svc.Route(ctx, f.event(t, "lead"))
	if n := len(f.enrollments(t, again)); n != 2 {
		t.Errorf("re-entry on while active: %d enrollments, want 2", n)
	}
}

func TestSweepStartsEnrollmentsWhoseStartFailed(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	f.failing.Store(true)
	if _, _, err := f.svc.Enroll(context.Background(), Request{AccountID: f.account, WorkflowID: wf, ContactID: f.contact}); err == nil {
		t.Fatal("want the start error")
	}
	rows := f.enrollments(t, wf)
	if len(rows) != 1 || rows[0].Status != models.EnrollmentPending {
		t.Fatalf("rows = %+v", rows)
	}
	f.failing.Store(false)
	if err := f.svc.Sweep(context.Background(), -time.Second); err != nil {
		t.Fatal(err)
	}
	if f.starts.Load() != 1 || f.inputs[0].EnrollmentID != rows[0].ID {
		t.Errorf("sweep started %d runs", f.starts.Load())
	}
}

func TestSweepRoutesEventsLeftUnrouted(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	f.event(t, "lead") // written with its record change, never routed (a crash)
	if err := f.svc.Sweep(context.Background(), -time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(f.enrollments(t, wf)); n != 1 {
		t.Errorf("enrollments after sweep = %d", n)
	}
}

func TestEventsReachRunningEnrollmentsAndRepliesStopThoseThatAskIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	defs := &definitions.Service{DB: f.db}
	mk := func(stop bool) *models.Enrollment {
		wf, _, err := defs.Create(ctx, f.account, []byte(fmt.Sprintf(`{"name": "w", "settings": {"stop_on_response": %v},
			"triggers": [], "start": "a", "steps": [{"id": "a", "type": "wait", "config": {"mode": "delay", "duration": "1d"}}]}`, stop)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := defs.Publish(ctx, f.account, wf.ID); err != nil {
			t.Fatal(err)
		}
		e, _, err := f.svc.Enroll(ctx, Request{AccountID: f.account, WorkflowID: wf.ID, ContactID: f.contact})
		if err != nil {
			t.Fatal(err)
		}
		f.db.Model(e).Update("status", models.EnrollmentWaiting)
		return e
	}
	keeps, stops := mk(false), mk(true)
	id := models.NewID()
	reply := &models.Event{ID: id, AccountID: f.account, ExternalID: id, Type: "customer_replied", ContactID: f.contact,
		Data: map[string]any{"channel": "sms", "body": "yes"}, OccurredAt: time.Now().UTC()}
	f.db.Create(reply)
	if err := f.svc.Route(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if len(f.signals) != 1 || f.signals[0] != TemporalID(keeps)+" "+workflows.SignalEvent+" customer_replied" {
		t.Errorf("signals = %v", f.signals)
	}
	if len(f.cancels) != 1 || f.cancels[0] != TemporalID(stops) {
		t.Errorf("cancels = %v", f.cancels)
	}
	var got models.Enrollment
	f.db.First(&got, "id = ?", stops.ID)
	if got.Status != models.EnrollmentExited || !strings.Contains(got.ExitReason, "replied") {
		t.Errorf("stopped enrollment = %s %q", got.Status, got.ExitReason)
	}
}

// A trigger's now.* is the time the event occurred, read in its workflow's
// timezone: 14:00 UTC is 09:00 in New York.
func TestTriggerFiltersReadNowInTheWorkflowsTimezone(t *testing.T) {
	f := newFixture(t)
	defs := &definitions.Service{DB: f.db}
	publish := func(zone, hour string) string {
		wf, _, err := defs.Create(context.Background(), f.account, []byte(`{"name": "`+zone+`", "settings": {"timezone": "`+zone+`"},
			"triggers": [{"id": "t", "type": "contact_tag_added", "filters": {"all": [
				{"field": "event.tag", "op": "is", "value": "lead"}, {"field": "now.time", "op": "is", "value": "`+hour+`"}]}}],
			"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := defs.Publish(context.Background(), f.account, wf.ID); err != nil {
			t.Fatal(err)
		}
		return wf.ID
	}
	ny := publish("America/New_York", "09:00")
	nyAtUTC := publish("America/New_York", "14:00")
	utc := publish("UTC", "14:00")
	ev := f.event(t, "lead")
	ev.OccurredAt = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	if err := f.svc.Route(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	for wf, want := range map[string]int{ny: 1, nyAtUTC: 0, utc: 1} {
		if n := len(f.enrollments(t, wf)); n != want {
			t.Errorf("workflow %s: %d enrollments, want %d", wf, n, want)
		}
	}
}

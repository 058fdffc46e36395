package records

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// recorder is a Router that keeps the events it is given.
type recorder struct {
	mu     sync.Mutex
	events []*models.Event
}

func (r *recorder) Route(_ context.Context, ev *models.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) types() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return strings.Join(out, ",")
}

func (r *recorder) last() *models.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[len(r.events)-1]
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

type fixture struct {
	s       *Service
	r       *recorder
	acct    string
	other   string
	contact string
}

func setup(t *testing.T) *fixture {
	db := testdb.Open(t)
	f := &fixture{s: &Service{DB: db}, r: &recorder{}}
	f.s.Router = f.r
	for _, id := range []*string{&f.acct, &f.other} {
		a := models.Account{ID: models.NewID(), Name: "A", Timezone: "UTC"}
		if err := db.Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		*id = a.ID
	}
	c := models.Contact{ID: models.NewID(), AccountID: f.acct, FirstName: "Ada"}
	if err := db.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	f.contact = c.ID
	return f
}

func ptr[T any](v T) *T { return &v }

// wantFaults fails unless err is validation errors naming every path.
func wantFaults(t *testing.T, err error, paths ...string) {
	t.Helper()
	var errs validation.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want validation errors at %v", err, paths)
	}
	have := map[string]bool{}
	for _, e := range errs {
		have[e.Path] = true
	}
	for _, p := range paths {
		if !have[p] {
			t.Errorf("no fault at %s: %v", p, errs)
		}
	}
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.What != what {
		t.Errorf("err = %v, want %s not found", err, what)
	}
}

func (f *fixture) storedEvents(t *testing.T, typ string) int64 {
	t.Helper()
	var n int64
	if err := f.s.DB.Model(&models.Event{}).Where("type = ?", typ).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUsers(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	u, err := f.s.CreateUser(ctx, f.acct, UserInput{Name: ptr(" Grace "), Email: ptr("Grace@Example.com"), Phone: ptr("(415) 555-0100")})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Grace" || u.Email != "grace@example.com" || u.Phone != "+14155550100" {
		t.Errorf("user = %+v", u)
	}
	_, err = f.s.CreateUser(ctx, f.acct, UserInput{Email: ptr("grace@example.com"), Phone: ptr("12")})
	wantFaults(t, err, "name", "email", "phone")
	// Another account may use the same email.
	if _, err := f.s.CreateUser(ctx, f.other, UserInput{Name: ptr("G"), Email: ptr("grace@example.com")}); err != nil {
		t.Errorf("another account's user with the same email: %v", err)
	}
	if _, err := f.s.UpdateUser(ctx, f.acct, u.ID, UserInput{Name: ptr("Grace Hopper")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetUser(ctx, f.other, u.ID)
	wantNotFound(t, err, "user")
	wantNotFound(t, f.s.DeleteUser(ctx, f.other, u.ID), "user")
	if err := f.s.DeleteUser(ctx, f.acct, u.ID); err != nil {
		t.Fatal(err)
	}
}

func TestNotesRaiseNoteAdded(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	u, _ := f.s.CreateUser(ctx, f.acct, UserInput{Name: ptr("Grace")})
	n, err := f.s.AddNote(ctx, f.acct, f.contact, NoteInput{Body: ptr("Called, no answer"), UserID: ptr(u.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if f.r.types() != "note_added" || f.r.last().Data["note_id"] != n.ID || f.r.last().ContactID != f.contact {
		t.Errorf("events = %s %+v", f.r.types(), f.r.last())
	}
	if f.storedEvents(t, "note_added") != 1 {
		t.Error("note_added was not written to the outbox")
	}
	_, err = f.s.AddNote(ctx, f.acct, f.contact, NoteInput{Body: ptr("  "), UserID: ptr("nobody")})
	wantFaults(t, err, "body", "user_id")
	_, err = f.s.AddNote(ctx, f.other, f.contact, NoteInput{Body: ptr("x")})
	wantNotFound(t, err, "contact")
	// Another account's user cannot sign a note.
	ou, _ := f.s.CreateUser(ctx, f.other, UserInput{Name: ptr("Mallory")})
	_, err = f.s.AddNote(ctx, f.acct, f.contact, NoteInput{Body: ptr("x"), UserID: ptr(ou.ID)})
	wantFaults(t, err, "user_id")
	// Deleting the user leaves the note unsigned.
	if err := f.s.DeleteUser(ctx, f.acct, u.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ = f.s.GetNote(ctx, f.acct, n.ID); n == nil || n.UserID != nil {
		t.Errorf("note after its user was deleted: %+v", n)
	}
	if f.r.types() != "note_added" {
		t.Errorf("failed notes raised events: %s", f.r.types())
	}
}

func TestTaskCompletedRaisedOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	u, _ := f.s.CreateUser(ctx, f.acct, UserInput{Name: ptr("Grace")})
	task, err := f.s.AddTask(ctx, f.acct, f.contact, TaskInput{Title: ptr("Call back"), AssigneeID: ptr(u.ID), DueAt: ptr("2026-12-03T15:00:00+01:00")})
	if err != nil {
		t.Fatal(err)
	}
	if task.DueAt == nil || task.DueAt.UTC().Hour() != 14 || *task.AssigneeID != u.ID {
		t.Errorf("task = %+v", task)
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.s.UpdateTask(ctx, f.acct, task.ID, TaskInput{Completed: ptr(true)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := f.r.types(); got != "task_added,task_completed" {
		t.Errorf("events = %s, want task_completed once", got)
	}
	if d := f.r.last().Data; d["task_id"] != task.ID || d["title"] != "Call back" {
		t.Errorf("task_completed data = %v", d)
	}
	// Reopened and completed again: a second completion.
	f.s.UpdateTask(ctx, f.acct, task.ID, TaskInput{Completed: ptr(false)})
	done, _ := f.s.UpdateTask(ctx, f.acct, task.ID, TaskInput{Completed: ptr(true)})
	if got := f.r.types(); got != "task_added,task_completed,task_completed" || done.CompletedAt == nil {
		t.Errorf("events after reopening = %s", got)
	}
	_, err = f.s.UpdateTask(ctx, f.acct, task.ID, TaskInput{Title: ptr(""), DueAt: ptr("tomorrow"), AssigneeID: ptr("nobody")})
	wantFaults(t, err, "title", "due_at", "assignee_id")
	_, err = f.s.UpdateTask(ctx, f.other, task.ID, TaskInput{Completed: ptr(false)})
	wantNotFound(t, err, "task")
}

func (f *fixture) pipeline(t *testing.T, stages ...string) *models.Pipeline {
	t.Helper()
	var in []StageInput
	for _, s := range stages {
		in = append(in, StageInput{Name: ptr(s)})
	}
	p, err := f.s.CreatePipeline(context.Background(), f.acct, PipelineInput{Name: ptr("Sales"), Stages: &in})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPipelineStages(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := f.s.CreatePipeline(ctx, f.acct, PipelineInput{Name: ptr(""), Stages: &[]StageInput{{Name: ptr("A")}, {Name: ptr("a")}, {ID: ptr("x"), Name: ptr("")}}})
	wantFaults(t, err, "name", "stages[1].name", "stages[2].id", "stages[2].name")
	_, err = f.s.CreatePipeline(ctx, f.acct, PipelineInput{Name: ptr("P")})
	wantFaults(t, err, "stages")

	p := f.pipeline(t, "Lead", "Qualified", "Won")
	lead, qualified, won := p.Stages[0], p.Stages[1], p.Stages[2]
	// Rename, reorder, add one, drop one.
	p, err = f.s.UpdatePipeline(ctx, f.acct, p.ID, PipelineInput{Stages: &[]StageInput{
		{ID: ptr(qualified.ID), Name: ptr("Qualified lead")}, {ID: ptr(lead.ID), Name: ptr("Lead")}, {Name: ptr("Proposal")}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, st := range p.Stages {
		names = append(names, st.Name)
		if st.Position != i {
			t.Errorf("stage %s at position %d", st.Name, st.Position)
		}
	}
	if strings.Join(names, ",") != "Qualified lead,Lead,Proposal" || p.Stages[0].ID != qualified.ID {
		t.Errorf("stages = %v", p.Stages)
	}
	var gone int64
	f.s.DB.Model(&models.PipelineStage{}).Where("id = ?", won.ID).Count(&gone)
	if gone != 0 {
		t.Error("the dropped stage is still there")
	}
	// A stage holding an opportunity cannot be dropped; nor the pipeline deleted.
	if _, err := f.s.CreateOpportunity(ctx, f.acct, OpportunityInput{ContactID: &f.contact, PipelineID: &p.ID, StageID: ptr(lead.ID), Name: ptr("Deal")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.UpdatePipeline(ctx, f.acct, p.ID, PipelineInput{Stages: &[]StageInput{{ID: ptr(qualified.ID), Name: ptr("Q")}}})
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Path != "stages" {
		t.Errorf("dropping a stage in use: %v", err)
	}
	if err := f.s.DeletePipeline(ctx, f.acct, p.ID); !errors.As(err, &ce) {
		t.Errorf("deleting a pipeline in use: %v", err)
	}
	if got, _ := f.s.GetPipeline(ctx, f.acct, p.ID); len(got.Stages) != 3 || got.Stages[0].Name != "Qualified lead" {
		t.Errorf("a refused update changed the pipeline: %+v", got.Stages)
	}
	_, err = f.s.GetPipeline(ctx, f.other, p.ID)
	wantNotFound(t, err, "pipeline")
}

func TestOpportunityEvents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.pipeline(t, "Lead", "Won")
	other := f.pipeline(t, "Elsewhere")
	o, err := f.s.CreateOpportunity(ctx, f.acct, OpportunityInput{ContactID: &f.contact, PipelineID: &p.ID, Name: ptr("Deal"), Value: ptr("1500.00")})
	if err != nil {
		t.Fatal(err)
	}
	if o.StageID != p.Stages[0].ID || o.Status != "open" || o.Value != "1500.00" {
		t.Errorf("opportunity = %+v", o)
	}
	d := f.r.last().Data
	if f.r.types() != "opportunity_created" || d["opportunity_id"] != o.ID || d["pipeline_id"] != p.ID ||
		d["stage_id"] != p.Stages[0].ID || d["status"] != "open" || d["previous_stage_id"] != "" || d["previous_status"] != "" {
		t.Errorf("events %s, data %v", f.r.types(), d)
	}
	f.r.reset()
	// Stage and status in one patch: both events, each with the previous values.
	if _, err := f.s.UpdateOpportunity(ctx, f.acct, o.ID, OpportunityInput{StageID: ptr(p.Stages[1].ID), Status: ptr("won")}); err != nil {
		t.Fatal(err)
	}
	if f.r.types() != "pipeline_stage_changed,opportunity_status_changed" {
		t.Errorf("events = %s", f.r.types())
	}
	for _, ev := range f.r.events {
		if ev.Data["previous_stage_id"] != p.Stages[0].ID || ev.Data["previous_status"] != "open" ||
			ev.Data["stage_id"] != p.Stages[1].ID || ev.Data["status"] != "won" {
			t.Errorf("%s data = %v", ev.Type, ev.Data)
		}
	}
	// The same values again change nothing.
	f.r.reset()
	f.s.UpdateOpportunity(ctx, f.acct, o.ID, OpportunityInput{StageID: ptr(p.Stages[1].ID), Status: ptr("won"), Name: ptr("Big deal")})
	if f.r.types() != "" {
		t.Errorf("a patch without stage or status change raised %s", f.r.types())
	}
	// A stage of another pipeline, another account's contact, bad values.
	oc := models.Contact{ID: models.NewID(), AccountID: f.other}
	f.s.DB.Create(&oc)
	_, err = f.s.UpdateOpportunity(ctx, f.acct, o.ID, OpportunityInput{StageID: ptr(other.Stages[0].ID), ContactID: ptr(oc.ID),
		Value: ptr("-3"), Status: ptr("maybe")})
	wantFaults(t, err, "stage_id", "contact_id", "value", "status")
	_, err = f.s.UpdateOpportunity(ctx, f.acct, o.ID, OpportunityInput{PipelineID: ptr(other.ID)})
	wantFaults(t, err, "stage_id")
	_, err = f.s.CreateOpportunity(ctx, f.acct, OpportunityInput{PipelineID: ptr("nope")})
	wantFaults(t, err, "contact_id", "pipeline_id", "name")
	// Moving pipelines with a stage of the new one is a stage change.
	f.r.reset()
	if _, err := f.s.UpdateOpportunity(ctx, f.acct, o.ID, OpportunityInput{PipelineID: ptr(other.ID), StageID: ptr(other.Stages[0].ID)}); err != nil {
		t.Fatal(err)
	}
	if f.r.types() != "pipeline_stage_changed" || f.r.last().Data["pipeline_id"] != other.ID {
		t.Errorf("moving pipelines: %s %v", f.r.types(), f.r.last().Data)
	}
	_, err = f.s.GetOpportunity(ctx, f.other, o.ID)
	wantNotFound(t, err, "opportunity")
}

func TestAppointmentEvents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a, err := f.s.BookAppointment(ctx, f.acct, AppointmentInput{ContactID: &f.contact, CalendarID: ptr("cal-1"), Title: ptr("Demo"),
		StartTime: ptr("2026-12-03T15:00:00+01:00"), EndTime: ptr("2026-12-03T15:30:00+01:00")})
	if err != nil {
		t.Fatal(err)
	}
	d := f.r.last().Data
	if f.r.types() != "appointment_booked" || d["appointment_id"] != a.ID || d["calendar_id"] != "cal-1" ||
		d["status"] != "new" || d["start_time"] != "2026-12-03T14:00:00Z" {
		t.Errorf("events %s, data %v", f.r.types(), d)
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.s.UpdateAppointment(ctx, f.acct, a.ID, AppointmentInput{Status: ptr("confirmed")}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f.r.types() != "appointment_booked,appointment_status_changed" || f.r.last().Data["previous_status"] != "new" {
		t.Errorf("events = %s, want one status change", f.r.types())
	}
	if f.storedEvents(t, "appointment_status_changed") != 1 {
		t.Error("the status change is not in the outbox exactly once")
	}
	// Moving the start raises appointment_rescheduled (appointment waits follow it); the same start again raises nothing.
	if _, err := f.s.UpdateAppointment(ctx, f.acct, a.ID, AppointmentInput{StartTime: ptr("2026-12-04T15:00:00Z"), EndTime: ptr("2026-12-04T15:30:00Z")}); err != nil {
		t.Fatal(err)
	}
	if d := f.r.last().Data; f.r.types() != "appointment_booked,appointment_status_changed,appointment_rescheduled" ||
		d["start_time"] != "2026-12-04T15:00:00Z" || d["previous_start_time"] != "2026-12-03T14:00:00Z" {
		t.Errorf("events = %s, data %v; want a reschedule from 14:00 to 15:00 the next day", f.r.types(), d)
	}
	if _, err := f.s.UpdateAppointment(ctx, f.acct, a.ID, AppointmentInput{StartTime: ptr("2026-12-04T16:00:00+01:00")}); err != nil {
		t.Fatal(err)
	}
	if f.r.types() != "appointment_booked,appointment_status_changed,appointment_rescheduled" {
		t.Errorf("events = %s; the same instant in another offset is no reschedule", f.r.types())
	}
	_, err = f.s.UpdateAppointment(ctx, f.acct, a.ID, AppointmentInput{EndTime: ptr("2026-12-03T13:00:00Z"), Status: ptr("done"), CalendarID: ptr("")})
	wantFaults(t, err, "end_time", "status", "calendar_id")
	_, err = f.s.BookAppointment(ctx, f.acct, AppointmentInput{ContactID: ptr("nobody"), StartTime: ptr("soon")})
	wantFaults(t, err, "contact_id", "calendar_id", "start_time", "end_time")
	// An appointment stays with its contact (its waits and enrollments are
	// theirs); naming the same contact again is no change.
	_, err = f.s.UpdateAppointment(ctx, f.acct, a.ID, AppointmentInput{ContactID: ptr("someone-else"), Status: ptr("done")})
	wantFaults(t, err, "contact_id", "status")
	if _, err := f.s.UpdateAppointment(ctx, f.acct, a.ID, AppointmentInput{ContactID: ptr(" " + f.contact + " ")}); err != nil {
		t.Errorf("naming its own contact again: %v", err)
	}
	_, err = f.s.UpdateAppointment(ctx, f.other, a.ID, AppointmentInput{Status: ptr("cancelled")})
	wantNotFound(t, err, "appointment")
	wantNotFound(t, f.s.DeleteAppointment(ctx, f.other, a.ID), "appointment")
}

// TestDeletingAnAppointmentRaisesAppointmentDeleted: a deletion raises no
// trigger event but appointment_deleted, which reaches the contact's runs
// (a waiting appointment wait takes on_cancel); deleting one that is not
// there (another account's, or one already deleted) raises nothing.
func TestDeletingAnAppointmentRaisesAppointmentDeleted(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a, err := f.s.BookAppointment(ctx, f.acct, AppointmentInput{ContactID: &f.contact, CalendarID: ptr("cal-1"),
		StartTime: ptr("2026-12-03T15:00:00Z"), EndTime: ptr("2026-12-03T15:30:00Z"), Status: ptr("confirmed")})
	if err != nil {
		t.Fatal(err)
	}
	f.r.reset()
	wantNotFound(t, f.s.DeleteAppointment(ctx, f.other, a.ID), "appointment")
	if f.r.types() != "" {
		t.Errorf("deleting another account's appointment raised %s", f.r.types())
	}
	if err := f.s.DeleteAppointment(ctx, f.acct, a.ID); err != nil {
		t.Fatal(err)
	}
	ev := f.r.last()
	if f.r.types() != "appointment_deleted" || ev.ContactID != f.contact || ev.Data["appointment_id"] != a.ID ||
		ev.Data["status"] != "confirmed" || ev.Data["start_time"] != "2026-12-03T15:00:00Z" {
		t.Errorf("events = %s, last %+v", f.r.types(), ev)
	}
	if f.storedEvents(t, "appointment_deleted") != 1 {
		t.Error("the deletion is not in the outbox exactly once")
	}
	if _, err := f.s.GetAppointment(ctx, f.acct, a.ID); !IsNotFound(err) {
		t.Errorf("the appointment is still there: %v", err)
	}
	wantNotFound(t, f.s.DeleteAppointment(ctx, f.acct, a.ID), "appointment")
	wantNotFound(t, f.s.DeleteAppointment(ctx, f.acct, "nope"), "appointment")
	if f.r.types() != "appointment_deleted" || f.storedEvents(t, "appointment_deleted") != 1 {
		t.Errorf("deleting what is not there raised events: %s", f.r.types())
	}
}

// TestRecordsGoWithTheirContact: deleting a contact deletes its notes,
// tasks, opportunities and appointments (the foreign keys cascade).
func TestRecordsGoWithTheirContact(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.pipeline(t, "Lead")
	f.s.AddNote(ctx, f.acct, f.contact, NoteInput{Body: ptr("n")})
	f.s.AddTask(ctx, f.acct, f.contact, TaskInput{Title: ptr("t")})
	f.s.CreateOpportunity(ctx, f.acct, OpportunityInput{ContactID: &f.contact, PipelineID: &p.ID, Name: ptr("o")})
	f.s.BookAppointment(ctx, f.acct, AppointmentInput{ContactID: &f.contact, CalendarID: ptr("c"),
		StartTime: ptr("2026-12-03T15:00:00Z"), EndTime: ptr("2026-12-03T16:00:00Z")})
	if err := f.s.DB.Where("id = ?", f.contact).Delete(&models.Contact{}).Error; err != nil {
		t.Fatal(err)
	}
	for _, m := range []any{&models.Note{}, &models.Task{}, &models.Opportunity{}, &models.Appointment{}} {
		var n int64
		f.s.DB.Model(m).Count(&n)
		if n != 0 {
			t.Errorf("%T: %d rows left after their contact was deleted", m, n)
		}
	}
}

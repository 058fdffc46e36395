package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestUsersCRUDAndPagination(t *testing.T) {
	v := newEnv(t)
	var ids []string
	for i := 0; i < 3; i++ {
		u := v.do(http.MethodPost, "/v1/users", map[string]any{"name": fmt.Sprintf("User %d", i),
			"email": fmt.Sprintf("U%d@Example.com", i), "phone": "+1 415 555 010" + fmt.Sprint(i)}).expect(http.StatusCreated).obj()
		ids = append(ids, u["id"].(string))
		if u["email"] != fmt.Sprintf("u%d@example.com", i) || u["phone"] != "+1415555010"+fmt.Sprint(i) {
			t.Errorf("user = %v", u)
		}
	}
	var page List[UserAnswer]
	v.do(http.MethodGet, "/v1/users?limit=2", nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 2 || page.NextCursor == nil || page.Items[0].ID != ids[0] {
		t.Fatalf("first page = %+v", page)
	}
	v.do(http.MethodGet, "/v1/users?limit=2&cursor="+*page.NextCursor, nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 1 || page.NextCursor != nil || page.Items[0].ID != ids[2] {
		t.Fatalf("second page = %+v", page)
	}
	v.do(http.MethodGet, "/v1/users?email=U1@example.com", nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 1 || page.Items[0].ID != ids[1] {
		t.Errorf("by email = %+v", page)
	}
	upd := v.do(http.MethodPatch, "/v1/users/"+ids[0], map[string]any{"name": "Grace", "phone": ""}).expect(http.StatusOK).obj()
	if upd["name"] != "Grace" || upd["phone"] != "" || upd["email"] != "u0@example.com" {
		t.Errorf("after PATCH = %v", upd)
	}
	wantPaths(t, v.do(http.MethodPost, "/v1/users", map[string]any{"email": "u1@example.com", "phone": "1", "nick": "x"}).
		problem(http.StatusUnprocessableEntity), "nick")
	wantPaths(t, v.do(http.MethodPost, "/v1/users", map[string]any{"email": "u1@example.com", "phone": "1"}).
		problem(http.StatusUnprocessableEntity), "name", "email", "phone")
	// Another account sees none of them.
	v.doAs(v.otherKey, http.MethodGet, "/v1/users/"+ids[0], nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodPatch, "/v1/users/"+ids[0], map[string]any{"name": "x"}).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodDelete, "/v1/users/"+ids[0], nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodGet, "/v1/users", nil).expect(http.StatusOK).decode(&page)
	if len(page.Items) != 0 {
		t.Errorf("another account lists %d users", len(page.Items))
	}
	v.do(http.MethodDelete, "/v1/users/"+ids[0], nil).expect(http.StatusNoContent)
	v.do(http.MethodGet, "/v1/users/"+ids[0], nil).problem(http.StatusNotFound)
}

func TestNotesAndTasks(t *testing.T) {
	v := newEnv(t)
	c := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	user := v.do(http.MethodPost, "/v1/users", map[string]any{"name": "Grace"}).expect(http.StatusCreated).obj()["id"].(string)

	n := v.do(http.MethodPost, "/v1/contacts/"+c+"/notes", map[string]any{"body": "Called", "user_id": user}).expect(http.StatusCreated).obj()
	if n["contact_id"] != c || n["user_id"] != user || n["body"] != "Called" {
		t.Errorf("note = %v", n)
	}
	if got := count[models.Event](t, v.db, "type = ? AND contact_id = ?", "note_added", c); got != 1 {
		t.Errorf("note_added raised %d times", got)
	}
	var notes List[NoteAnswer]
	v.do(http.MethodGet, "/v1/contacts/"+c+"/notes", nil).expect(http.StatusOK).decode(&notes)
	if len(notes.Items) != 1 || notes.Items[0].ID != n["id"] {
		t.Errorf("notes = %+v", notes)
	}
	wantPaths(t, v.do(http.MethodPost, "/v1/contacts/"+c+"/notes", map[string]any{"body": 3, "user_id": "nobody"}).
		problem(http.StatusUnprocessableEntity), "body")
	wantPaths(t, v.do(http.MethodPost, "/v1/contacts/"+c+"/notes", map[string]any{"body": "", "user_id": "nobody"}).
		problem(http.StatusUnprocessableEntity), "body", "user_id")
	v.doAs(v.otherKey, http.MethodPost, "/v1/contacts/"+c+"/notes", map[string]any{"body": "x"}).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodGet, "/v1/contacts/"+c+"/notes", nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodGet, "/v1/notes/"+n["id"].(string), nil).problem(http.StatusNotFound)
	v.do(http.MethodGet, "/v1/notes/"+n["id"].(string), nil).expect(http.StatusOK)
	v.do(http.MethodDelete, "/v1/notes/"+n["id"].(string), nil).expect(http.StatusNoContent)

	task := v.do(http.MethodPost, "/v1/contacts/"+c+"/tasks", map[string]any{"title": "Call back", "assignee_id": user,
		"due_at": "2026-12-03T15:00:00Z"}).expect(http.StatusCreated).obj()
	id := task["id"].(string)
	if task["completed"] != false || task["due_at"] != "2026-12-03T15:00:00Z" || task["assignee_id"] != user {
		t.Errorf("task = %v", task)
	}
	for i := 0; i < 2; i++ {
		done := v.do(http.MethodPatch, "/v1/tasks/"+id, map[string]any{"completed": true}).expect(http.StatusOK).obj()
		if done["completed"] != true || done["completed_at"] == nil {
			t.Errorf("completed task = %v", done)
		}
	}
	if got := count[models.Event](t, v.db, "type = ? AND contact_id = ?", "task_completed", c); got != 1 {
		t.Errorf("task_completed raised %d times, want once", got)
	}
	var tasks List[TaskAnswer]
	v.do(http.MethodGet, "/v1/contacts/"+c+"/tasks?completed=false", nil).expect(http.StatusOK).decode(&tasks)
	if len(tasks.Items) != 0 {
		t.Errorf("open tasks = %+v", tasks)
	}
	v.do(http.MethodGet, "/v1/contacts/"+c+"/tasks?completed=maybe", nil).problem(http.StatusBadRequest)
	wantPaths(t, v.do(http.MethodPatch, "/v1/tasks/"+id, map[string]any{"title": " ", "due_at": "soon", "assignee_id": "x"}).
		problem(http.StatusUnprocessableEntity), "title", "due_at", "assignee_id")
	v.doAs(v.otherKey, http.MethodPatch, "/v1/tasks/"+id, map[string]any{"completed": false}).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodDelete, "/v1/tasks/"+id, nil).problem(http.StatusNotFound)
	v.do(http.MethodDelete, "/v1/tasks/"+id, nil).expect(http.StatusNoContent)
}

func TestPipelinesAndOpportunities(t *testing.T) {
	v := newEnv(t)
	c := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	var p PipelineAnswer
	v.do(http.MethodPost, "/v1/pipelines", map[string]any{"name": "Sales",
		"stages": []any{map[string]any{"name": "Lead"}, map[string]any{"name": "Won"}}}).expect(http.StatusCreated).decode(&p)
	if len(p.Stages) != 2 || p.Stages[1].Name != "Won" || p.Stages[1].Position != 1 {
		t.Fatalf("pipeline = %+v", p)
	}
	wantPaths(t, v.do(http.MethodPost, "/v1/pipelines", map[string]any{"stages": []any{map[string]any{"name": ""}}}).
		problem(http.StatusUnprocessableEntity), "name", "stages[0].name")

	var o OpportunityAnswer
	v.do(http.MethodPost, "/v1/opportunities", map[string]any{"contact_id": c, "pipeline_id": p.ID, "name": "Deal",
		"value": "1500.50"}).expect(http.StatusCreated).decode(&o)
	if o.StageID != p.Stages[0].ID || o.Status != "open" || o.Value != "1500.50" {
		t.Errorf("opportunity = %+v", o)
	}
	v.do(http.MethodPatch, "/v1/opportunities/"+o.ID, map[string]any{"stage_id": p.Stages[1].ID, "status": "won"}).expect(http.StatusOK).decode(&o)
	for _, typ := range []string{"opportunity_created", "pipeline_stage_changed", "opportunity_status_changed"} {
		if got := count[models.Event](t, v.db, "type = ? AND contact_id = ?", typ, c); got != 1 {
			t.Errorf("%s raised %d times", typ, got)
		}
	}
	wantPaths(t, v.do(http.MethodPost, "/v1/opportunities", map[string]any{"contact_id": "x", "pipeline_id": p.ID,
		"stage_id": "nope", "value": "1,5", "status": "pending"}).problem(http.StatusUnprocessableEntity),
		"contact_id", "stage_id", "name", "value", "status")
	wantPaths(t, v.do(http.MethodPost, "/v1/opportunities", map[string]any{"value": 12}).problem(http.StatusUnprocessableEntity), "value")

	var list List[OpportunityAnswer]
	v.do(http.MethodGet, "/v1/opportunities?status=won&pipeline_id="+p.ID+"&stage_id="+p.Stages[1].ID+"&contact_id="+c, nil).
		expect(http.StatusOK).decode(&list)
	if len(list.Items) != 1 {
		t.Errorf("filtered list = %+v", list)
	}
	v.do(http.MethodGet, "/v1/opportunities?status=open", nil).expect(http.StatusOK).decode(&list)
	if len(list.Items) != 0 {
		t.Errorf("open = %+v", list)
	}
	v.do(http.MethodGet, "/v1/opportunities?status=pending", nil).problem(http.StatusBadRequest)

	// The stage in use cannot be dropped, nor the pipeline deleted.
	wantPaths(t, v.do(http.MethodPatch, "/v1/pipelines/"+p.ID, map[string]any{"stages": []any{map[string]any{"id": p.Stages[0].ID, "name": "Lead"}}}).
		problem(http.StatusConflict), "stages")
	v.do(http.MethodDelete, "/v1/pipelines/"+p.ID, nil).problem(http.StatusConflict)

	// Another account: 404 for the records, 422 for references in a body.
	v.doAs(v.otherKey, http.MethodGet, "/v1/pipelines/"+p.ID, nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodGet, "/v1/opportunities/"+o.ID, nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodPatch, "/v1/opportunities/"+o.ID, map[string]any{"status": "lost"}).problem(http.StatusNotFound)
	oc := v.createContactAs(v.otherKey, map[string]any{"first_name": "Eve"})["id"].(string)
	wantPaths(t, v.doAs(v.otherKey, http.MethodPost, "/v1/opportunities", map[string]any{"contact_id": oc, "pipeline_id": p.ID, "name": "x"}).
		problem(http.StatusUnprocessableEntity), "pipeline_id")

	v.do(http.MethodDelete, "/v1/opportunities/"+o.ID, nil).expect(http.StatusNoContent)
	v.do(http.MethodPatch, "/v1/pipelines/"+p.ID, map[string]any{"name": "Renewals",
		"stages": []any{map[string]any{"id": p.Stages[1].ID, "name": "Won"}, map[string]any{"name": "Lost"}}}).expect(http.StatusOK).decode(&p)
	if p.Name != "Renewals" || len(p.Stages) != 2 || p.Stages[0].Name != "Won" {
		t.Errorf("pipeline after PATCH = %+v", p)
	}
	var pipelines List[PipelineAnswer]
	v.do(http.MethodGet, "/v1/pipelines", nil).expect(http.StatusOK).decode(&pipelines)
	if len(pipelines.Items) != 1 || len(pipelines.Items[0].Stages) != 2 {
		t.Errorf("pipelines = %+v", pipelines)
	}
	v.do(http.MethodDelete, "/v1/pipelines/"+p.ID, nil).expect(http.StatusNoContent)
}

func TestAppointments(t *testing.T) {
	v := newEnv(t)
	c := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	var a AppointmentAnswer
	v.do(http.MethodPost, "/v1/appointments", map[string]any{"contact_id": c, "calendar_id": "cal-1", "title": "Demo",
		"start_time": "2026-12-03T15:00:00+01:00", "end_time": "2026-12-03T15:30:00+01:00"}).expect(http.StatusCreated).decode(&a)
	if a.Status != "new" || a.StartTime.Format("15:04Z07:00") != "14:00Z" {
		t.Errorf("appointment = %+v", a)
	}
	for _, status := range []string{"confirmed", "confirmed", "showed"} {
		v.do(http.MethodPatch, "/v1/appointments/"+a.ID, map[string]any{"status": status}).expect(http.StatusOK)
	}
	if got := count[models.Event](t, v.db, "type = ?", "appointment_booked"); got != 1 {
		t.Errorf("appointment_booked raised %d times", got)
	}
	if got := count[models.Event](t, v.db, "type = ?", "appointment_status_changed"); got != 2 {
		t.Errorf("appointment_status_changed raised %d times, want 2 (confirmed, showed)", got)
	}
	var list List[AppointmentAnswer]
	v.do(http.MethodGet, "/v1/appointments?calendar_id=cal-1&status=showed&contact_id="+c, nil).expect(http.StatusOK).decode(&list)
	if len(list.Items) != 1 {
		t.Errorf("filtered = %+v", list)
	}
	v.do(http.MethodGet, "/v1/appointments?status=late", nil).problem(http.StatusBadRequest)
	wantPaths(t, v.do(http.MethodPost, "/v1/appointments", map[string]any{"contact_id": c, "start_time": "2026-12-03T15:00:00Z",
		"end_time": "2026-12-03T14:00:00Z", "status": "booked"}).problem(http.StatusUnprocessableEntity),
		"calendar_id", "end_time", "status")
	wantPaths(t, v.do(http.MethodPost, "/v1/appointments", map[string]any{"start_time": "tomorrow"}).problem(http.StatusUnprocessableEntity),
		"contact_id", "start_time", "end_time")
	v.doAs(v.otherKey, http.MethodGet, "/v1/appointments/"+a.ID, nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodPatch, "/v1/appointments/"+a.ID, map[string]any{"status": "cancelled"}).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodDelete, "/v1/appointments/"+a.ID, nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodGet, "/v1/appointments?contact_id="+c, nil).expect(http.StatusOK).decode(&list)
	if len(list.Items) != 0 {
		t.Errorf("another account lists %+v", list)
	}
	v.do(http.MethodDelete, "/v1/appointments/"+a.ID, nil).expect(http.StatusNoContent)
	v.do(http.MethodDelete, "/v1/appointments/"+a.ID, nil).problem(http.StatusNotFound)
	// The deletion reaches the contact's runs (appointment waits take on_cancel); the refused ones raise nothing.
	if got := count[models.Event](t, v.db, "type = ?", "appointment_deleted"); got != 1 {
		t.Errorf("appointment_deleted raised %d times, want 1", got)
	}
}

// TestAppointmentTriggerEnrollsPerAppointment routes through the real
// enrollment service (Temporal mocked): two bookings enroll twice into a
// workflow triggered by appointment_booked on that calendar; another
// calendar's booking enrolls nobody.
func TestAppointmentTriggerEnrollsPerAppointment(t *testing.T) {
	v := newEnv(t)
	c := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	wf := v.createWorkflowAs(v.key, map[string]any{"name": "Booked",
		"triggers": []any{map[string]any{"id": "t1", "type": "appointment_booked",
			"filters": map[string]any{"all": []any{map[string]any{"field": "event.calendar_id", "op": "is", "value": "cal-1"}}}}},
		"start": "s1", "steps": []any{map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": "See you"}}},
	})["id"].(string)
	v.do(http.MethodPost, "/v1/workflows/"+wf+"/publish", nil).expect(http.StatusOK)
	book := func(cal string) {
		v.do(http.MethodPost, "/v1/appointments", map[string]any{"contact_id": c, "calendar_id": cal,
			"start_time": "2026-12-03T15:00:00Z", "end_time": "2026-12-03T16:00:00Z"}).expect(http.StatusCreated)
	}
	book("cal-1")
	book("cal-2")
	book("cal-1")
	if got := count[models.Enrollment](t, v.db, "workflow_id = ? AND contact_id = ?", wf, c); got != 2 {
		t.Errorf("%d enrollments, want 2 (one per cal-1 booking)", got)
	}
	if got := len(v.startedRuns()); got != 2 {
		t.Errorf("%d runs started", got)
	}
}

// seedRecordsAs creates one record of each kind for the account of key,
// keyed by the first path segment that names it ("users", "notes"...), for
// the tenant isolation test.
func (v *testEnv) seedRecordsAs(key, contactID string) map[string]string {
	v.t.Helper()
	create := func(path string, body any) map[string]any {
		v.t.Helper()
		return v.doAs(key, http.MethodPost, path, body).expect(http.StatusCreated).obj()
	}
	out := map[string]string{}
	out["users"] = create("/v1/users", map[string]any{"name": "Theirs"})["id"].(string)
	out["notes"] = create("/v1/contacts/"+contactID+"/notes", map[string]any{"body": "theirs"})["id"].(string)
	out["tasks"] = create("/v1/contacts/"+contactID+"/tasks", map[string]any{"title": "theirs"})["id"].(string)
	out["pipelines"] = create("/v1/pipelines", map[string]any{"name": "Theirs", "stages": []any{map[string]any{"name": "A"}}})["id"].(string)
	out["opportunities"] = create("/v1/opportunities", map[string]any{"contact_id": contactID, "pipeline_id": out["pipelines"], "name": "theirs"})["id"].(string)
	out["appointments"] = create("/v1/appointments", map[string]any{"contact_id": contactID, "calendar_id": "c",
		"start_time": "2026-12-03T15:00:00Z", "end_time": "2026-12-03T16:00:00Z"})["id"].(string)
	return out
}

package api

import (
	"net/http"
	"testing"

	"github.com/crmflow/crmflow/models"
)

// TestSimulateAnswersThePathWithoutTouchingAnything: the saved definition
// or a published version runs on the simulated clock; the answer shows the
// steps at their simulated times and the message as rendered, and nothing
// is enrolled, sent or tagged for real.
func TestSimulateAnswersThePathWithoutTouchingAnything(t *testing.T) {
	v := newEnv(t)
	contact := v.createContact(map[string]any{"first_name": "Ada", "phone": "+14155550100"})
	def := map[string]any{"name": "Nudge", "triggers": []any{}, "start": "w", "steps": []any{
		map[string]any{"id": "w", "type": "wait", "config": map[string]any{"mode": "delay", "duration": "2d"}, "next": "sms"},
		map[string]any{"id": "sms", "type": "send_sms", "config": map[string]any{"body": "Hi {{contact.first_name}}, {{event.plan}}?"}, "next": "r"},
		map[string]any{"id": "r", "type": "wait", "config": map[string]any{"mode": "event", "events": []any{map[string]any{"type": "customer_replied"}},
			"timeout": "1d", "on_timeout": "cold"}, "next": "warm"},
		map[string]any{"id": "warm", "type": "add_tag", "config": map[string]any{"tags": []any{"warm"}}},
		map[string]any{"id": "cold", "type": "add_tag", "config": map[string]any{"tags": []any{"cold"}}},
	}}
	id := v.createWorkflowAs(v.key, def)["id"].(string)
	res := v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{
		"contact_id": contact["id"], "start_at": "2026-12-07T09:00:00Z",
		"trigger": map[string]any{"type": "form_submitted", "data": map[string]any{"plan": "pro"}},
		"events":  []any{map[string]any{"after": "2d12h", "type": "customer_replied", "data": map[string]any{"body": "yes"}}},
	}).expect(http.StatusOK).obj()
	if res["status"] != "completed" || res["ended_at"] != "2026-12-09T21:00:00Z" || res["duration"] != "2d 12h" || res["version"] != nil || res["stopped"] != nil {
		t.Errorf("simulation = %v", res)
	}
	var path []string
	for _, s := range res["steps"].([]any) {
		step := s.(map[string]any)
		path = append(path, str(step["step_id"])+"@"+str(step["started_at"]))
	}
	if got, want := str(path), "[w@2026-12-07T09:00:00Z sms@2026-12-09T09:00:00Z r@2026-12-09T09:00:00Z warm@2026-12-09T21:00:00Z]"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	msgs := res["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "Hi Ada, pro?" || msgs[0].(map[string]any)["step_id"] != "sms" {
		t.Errorf("messages = %v", msgs)
	}
	if n := count[models.Enrollment](t, v.db) + count[models.Message](t, v.db) + count[models.ContactTag](t, v.db); n != 0 {
		t.Errorf("the simulation left %d rows of enrollments, messages or tags", n)
	}

	// A published version is simulated as published, whatever was saved since.
	v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK)
	def["steps"].([]any)[0].(map[string]any)["config"] = map[string]any{"mode": "delay", "duration": "5d"}
	v.do(http.MethodPut, "/v1/workflows/"+id, def).expect(http.StatusOK)
	pinned := v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{
		"contact_id": contact["id"], "version": 1, "start_at": "2026-12-07T09:00:00Z"}).expect(http.StatusOK).obj()
	saved := v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{
		"contact_id": contact["id"], "start_at": "2026-12-07T09:00:00Z"}).expect(http.StatusOK).obj()
	if pinned["version"] != 1.0 || pinned["ended_at"] != "2026-12-10T09:00:00Z" || saved["ended_at"] != "2026-12-13T09:00:00Z" {
		t.Errorf("version 1 ended %v (want 3d in), the saved definition %v (want 6d in)", pinned["ended_at"], saved["ended_at"])
	}
}

func TestSimulateNamesEveryFault(t *testing.T) {
	v := newEnv(t)
	id := v.createWorkflowAs(v.key, simpleWorkflow("W"))["id"].(string)
	p := v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{
		"version": 0, "start_at": "monday", "horizon": "10y", "trigger": map[string]any{"data": map[string]any{}},
		"events": []any{map[string]any{"after": "2d", "type": "a"}, map[string]any{"after": "1d"}},
	}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "contact_id", "version", "start_at", "horizon", "trigger.type", "events[1].type", "events[1].after")
	// Shape faults (an unknown field, a wrong type, a key given twice) come
	// with the others in one answer, not first and alone.
	p = v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", `{"contact_id": 5, "extra": 1, "horizon": "abc", "horizon": "10y",
		"events": [{"after": "soon", "type": "a"}, {"after": 5, "type": "b"}, {"after": "1d", "Type": "c"}]}`).
		problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "contact_id", "extra", "horizon", "events[0].after", "events[1].after", "events[2].Type")
	p = v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{"contact_id": "nobody", "version": 3}).
		problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "version")
	v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK)
	p = v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{"contact_id": "nobody"}).
		problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "contact_id")
	v.do(http.MethodPost, "/v1/workflows/nope/simulate", map[string]any{"contact_id": "x"}).problem(http.StatusNotFound)
}

// Warnings name where the server would differ, at the request's path; an
// event that changes the copy needs the data it changes it by.
func TestSimulateWarnsWhereTheServerWouldDiffer(t *testing.T) {
	v := newEnv(t)
	contact := v.createContact(map[string]any{"first_name": "Ada", "phone": "+14155550100"})["id"]
	def := map[string]any{"name": "Booked", "triggers": []any{map[string]any{"id": "t", "type": "appointment_booked"}}, "start": "w",
		"steps": []any{
			map[string]any{"id": "w", "type": "wait", "config": map[string]any{"mode": "appointment", "offset": "-1h"}, "next": "sms"},
			map[string]any{"id": "sms", "type": "send_sms", "config": map[string]any{"body": "See you {{event.start_time}}"}},
		}}
	id := v.createWorkflowAs(v.key, def)["id"].(string)
	warnings := func(body map[string]any) map[string]string {
		t.Helper()
		res := v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", body).expect(http.StatusOK).obj()
		out := map[string]string{}
		for _, w := range res["warnings"].([]any) {
			out[str(w.(map[string]any)["path"])] = str(w.(map[string]any)["message"])
		}
		return out
	}
	if w := warnings(map[string]any{"contact_id": contact}); len(w) != 1 || w["trigger"] == "" {
		t.Errorf("without a trigger: %v", w)
	}
	appt := v.do(http.MethodPost, "/v1/appointments", map[string]any{"contact_id": contact, "calendar_id": "cal",
		"start_time": "2027-01-08T15:00:00Z", "end_time": "2027-01-08T15:30:00Z"}).expect(http.StatusCreated).obj()["id"]
	w := warnings(map[string]any{"contact_id": contact, "start_at": "2027-01-04T09:00:00Z", "trigger": map[string]any{"type": "appointment_booked",
		"data": map[string]any{"appointment_id": appt}},
		"events": []any{map[string]any{"after": "1m", "type": "appointment_deleted", "data": map[string]any{"appointment_id": "nope"}}}})
	if len(w) != 1 || w["events[0]"] == "" {
		t.Errorf("an event naming no appointment of the contact: %v", w)
	}
	// Once enrolled for real (re-entry off), the server would not enroll the contact again.
	v.db.Create(&models.Enrollment{ID: models.NewID(), AccountID: v.acct.ID, WorkflowID: id, ContactID: str(contact),
		EntryKey: "1", EntryNo: 1, Version: 1, Status: models.EnrollmentCompleted})
	if w := warnings(map[string]any{"contact_id": contact, "trigger": map[string]any{"type": "appointment_booked"}}); w["contact_id"] == "" {
		t.Errorf("after a real entry: %v", w)
	}
	p := v.do(http.MethodPost, "/v1/workflows/"+id+"/simulate", map[string]any{"contact_id": contact, "events": []any{
		map[string]any{"after": "1m", "type": "contact_tag_added"},
		map[string]any{"after": "2m", "type": "appointment_rescheduled", "data": map[string]any{"appointment_id": "a", "start_time": "soon"}},
	}}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "events[0].data.tag", "events[1].data.start_time")
}

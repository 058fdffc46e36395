package app

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRecordStepsChainOutputsOnTheEmbeddedServer runs contact and record
// steps end to end: each step's output feeds the next (the assigned user
// becomes the task's assignee, the opportunity id goes into the note, an
// if/else reads the updated status), round robin alternates between two
// enrollments, create_contact makes the referral once for both, and
// delete_contact ends the contact's other enrollment and completes its own.
func TestRecordStepsChainOutputsOnTheEmbeddedServer(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()

	var u1, u2, ada, bob idOnly
	call(t, d, "POST", "/v1/users", map[string]any{"name": "Grace"}, &u1)
	call(t, d, "POST", "/v1/users", map[string]any{"name": "Linus"}, &u2)
	var pipeline struct {
		ID     string `json:"id"`
		Stages []struct {
			ID string `json:"id"`
		} `json:"stages"`
	}
	call(t, d, "POST", "/v1/pipelines", map[string]any{"name": "Sales", "stages": []any{map[string]any{"name": "New"}, map[string]any{"name": "Closed"}}}, &pipeline)
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com"}, &ada)
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Bob", "phone": "+14155550123"}, &bob)
	if u1.ID == "" || u2.ID == "" || len(pipeline.Stages) != 2 || ada.ID == "" || bob.ID == "" {
		t.Fatalf("setup: users %s %s, pipeline %+v, contacts %s %s", u1.ID, u2.ID, pipeline, ada.ID, bob.ID)
	}
	closed := pipeline.Stages[1].ID

	publish := func(def string) string {
		t.Helper()
		var answer map[string]any // the workflow, or the problem
		if code := call(t, d, "POST", "/v1/workflows", json.RawMessage(def), &answer); code != 201 {
			t.Fatalf("saving workflow: %d %v", code, answer)
		}
		id, _ := answer["id"].(string)
		if code := call(t, d, "POST", "/v1/workflows/"+id+"/publish", nil, nil); code != 200 {
			t.Fatalf("publishing: %d", code)
		}
		return id
	}
	enroll := func(workflowID, contactID string) string {
		t.Helper()
		var e idOnly
		if code := call(t, d, "POST", "/v1/workflows/"+workflowID+"/enrollments", map[string]any{"contact_id": contactID}, &e); code != 201 && code != 200 {
			t.Fatalf("enrolling: %d", code)
		}
		return e.ID
	}

	records := publish(`{"name": "Work the lead", "start": "s1", "steps": [
		{"id": "s1", "type": "assign_user", "config": {"user_ids": ["` + u1.ID + `", "` + u2.ID + `"]}, "next": "s2"},
		{"id": "s2", "type": "create_opportunity", "config": {"pipeline_id": "` + pipeline.ID + `", "value": "500"}, "next": "s3"},
		{"id": "s3", "type": "add_note", "config": {"body": "Opened {{steps.s2.opportunity_id}} for {{contact.first_name}}"}, "next": "s4"},
		{"id": "s4", "type": "add_task", "config": {"title": "Call {{contact.first_name}}", "assignee_id": "{{steps.s1.user_id}}", "due_in": "1d"}, "next": "s5"},
		{"id": "s5", "type": "update_opportunity", "config": {"pipeline_id": "` + pipeline.ID + `", "stage_id": "` + closed + `", "status": "won"}, "next": "s6"},
		{"id": "s6", "type": "if_else", "config": {"branches": [{"name": "won", "when": {"field": "steps.s5.status", "op": "is", "value": "won"}, "next": "s7"}]}},
		{"id": "s7", "type": "set_dnd", "config": {"channel": "email", "value": true}, "next": "s8"},
		{"id": "s8", "type": "create_contact", "config": {"fields": {"first_name": "Referral", "email": "referral@example.com"}}}
	]}`)
	waitFor(t, d, enroll(records, ada.ID), "completed")
	waitFor(t, d, enroll(records, bob.ID), "completed")

	var adaNow, bobNow struct {
		AssignedUserID string `json:"assigned_user_id"`
		DND            struct {
			Email bool `json:"email"`
		} `json:"dnd"`
	}
	call(t, d, "GET", "/v1/contacts/"+ada.ID, nil, &adaNow)
	call(t, d, "GET", "/v1/contacts/"+bob.ID, nil, &bobNow)
	if adaNow.AssignedUserID != u1.ID || bobNow.AssignedUserID != u2.ID {
		t.Errorf("round robin gave Ada %s and Bob %s, want %s then %s", adaNow.AssignedUserID, bobNow.AssignedUserID, u1.ID, u2.ID)
	}
	if !adaNow.DND.Email {
		t.Error("the won branch did not set Ada's email DND")
	}
	var opps struct {
		Items []map[string]any `json:"items"`
	}
	call(t, d, "GET", "/v1/opportunities?contact_id="+ada.ID, nil, &opps)
	if len(opps.Items) != 1 {
		t.Fatalf("Ada has %d opportunities, want 1", len(opps.Items))
	}
	opp := opps.Items[0]
	if opp["stage_id"] != closed || opp["status"] != "won" || opp["value"] != "500" {
		t.Errorf("opportunity = %v", opp)
	}
	var notes struct {
		Items []struct{ Body string } `json:"items"`
	}
	call(t, d, "GET", "/v1/contacts/"+ada.ID+"/notes", nil, &notes)
	if len(notes.Items) != 1 || notes.Items[0].Body != "Opened "+opp["id"].(string)+" for Ada" {
		t.Errorf("notes = %+v", notes.Items)
	}
	var tasks struct {
		Items []map[string]any `json:"items"`
	}
	call(t, d, "GET", "/v1/contacts/"+ada.ID+"/tasks", nil, &tasks)
	if len(tasks.Items) != 1 || tasks.Items[0]["title"] != "Call Ada" || tasks.Items[0]["assignee_id"] != u1.ID || tasks.Items[0]["due_at"] == nil {
		t.Errorf("tasks = %v", tasks.Items)
	}
	var referrals struct {
		Items []map[string]any `json:"items"`
	}
	call(t, d, "GET", "/v1/contacts?email=referral@example.com", nil, &referrals)
	if len(referrals.Items) != 1 {
		t.Errorf("%d referral contacts after two enrollments, want 1 (the second updates the first)", len(referrals.Items))
	}

	// Bob waits in one workflow; another deletes him.
	waiting := publish(`{"name": "Nurture", "start": "w1", "steps": [
		{"id": "w1", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "w2"},
		{"id": "w2", "type": "add_tag", "config": {"tags": ["nurtured"]}}]}`)
	wait := enroll(waiting, bob.ID)
	waitFor(t, d, wait, "waiting")
	farewell := publish(`{"name": "Forget me", "start": "f1", "steps": [
		{"id": "f1", "type": "add_note", "config": {"body": "Asked to be forgotten"}, "next": "f2"},
		{"id": "f2", "type": "delete_contact"}]}`)
	del := waitFor(t, d, enroll(farewell, bob.ID), "completed")
	if len(del.Steps) != 2 || del.Steps[1].StepID != "f2" || del.Steps[1].Status != "completed" {
		t.Errorf("delete enrollment steps = %+v", del.Steps)
	}
	var exited struct {
		Status     string `json:"status"`
		ExitReason string `json:"exit_reason"`
	}
	call(t, d, "GET", "/v1/enrollments/"+wait, nil, &exited)
	if exited.Status != "exited" || !strings.Contains(exited.ExitReason, "deleted") {
		t.Errorf("Bob's waiting enrollment is %s (%q), want exited", exited.Status, exited.ExitReason)
	}
	if code := call(t, d, "GET", "/v1/contacts/"+bob.ID, nil, nil); code != 404 {
		t.Errorf("GET deleted contact: %d, want 404", code)
	}
}

package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// loggedEnrollment is an enrollment answer with its exit reason and the
// output of each step.
type loggedEnrollment struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
	ExitReason string `json:"exit_reason"`
	Steps      []struct {
		StepID string         `json:"step_id"`
		Status string         `json:"status"`
		Output map[string]any `json:"output"`
	} `json:"steps"`
}

// saveWorkflow saves a definition and returns the workflow's id.
func saveWorkflow(t *testing.T, d *Dev, method, path, def string) string {
	t.Helper()
	var answer map[string]any
	if code := call(t, d, method, path, json.RawMessage(def), &answer); code != 200 && code != 201 {
		t.Fatalf("%s %s: %d %v", method, path, code, answer)
	}
	id, _ := answer["id"].(string)
	return id
}

func publishWorkflow(t *testing.T, d *Dev, id string) {
	t.Helper()
	var answer map[string]any
	if code := call(t, d, "POST", "/v1/workflows/"+id+"/publish", nil, &answer); code != 200 {
		t.Fatalf("publishing %s: %d %v", id, code, answer)
	}
}

// finishedEnrollments polls until the workflow has n enrollments of the
// contact, every one of them finished.
func finishedEnrollments(t *testing.T, d *Dev, workflowID, contactID string, n int) []loggedEnrollment {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var list struct {
			Items []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"items"`
		}
		call(t, d, "GET", "/v1/workflows/"+workflowID+"/enrollments?contact_id="+contactID, nil, &list)
		finished := 0
		for _, e := range list.Items {
			if e.Status == "completed" || e.Status == "exited" || e.Status == "failed" {
				finished++
			}
		}
		if len(list.Items) == n && finished == n {
			out := make([]loggedEnrollment, n)
			for i, e := range list.Items {
				call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &out[i])
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s: enrollments %+v, want %d finished", workflowID, list.Items, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWorkflowsThatAddEachOtherStopAtTheDepthLimit: A adds the contact to
// B, B (re-entry on) adds it back to A (re-entry on), and so on. Each waits
// a second first, so that the workflow that added it has finished and
// re-entry lets the contact in again. The chain stops after five nested
// enrollments: the last one's step is skipped, naming the chain.
func TestWorkflowsThatAddEachOtherStopAtTheDepthLimit(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var ada idOnly
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com"}, &ada)

	loop := func(name, target string) string {
		return `{"name": "` + name + `", "settings": {"allow_reentry": true}, "start": "w", "steps": [
			{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1s"}, "next": "add"},
			{"id": "add", "type": "add_to_workflow", "config": {"workflow_id": "` + target + `"}}]}`
	}
	b := saveWorkflow(t, d, "POST", "/v1/workflows", `{"name": "B", "start": "e", "steps": [{"id": "e", "type": "end"}]}`)
	a := saveWorkflow(t, d, "POST", "/v1/workflows", loop("A", b))
	saveWorkflow(t, d, "PUT", "/v1/workflows/"+b, loop("B", a))
	publishWorkflow(t, d, a)
	publishWorkflow(t, d, b)

	var first idOnly
	if code := call(t, d, "POST", "/v1/workflows/"+a+"/enrollments", map[string]any{"contact_id": ada.ID}, &first); code != 201 {
		t.Fatalf("enrolling: %d", code)
	}
	// A, B, A, B, A, B: the first A and five nested enrollments.
	inA := finishedEnrollments(t, d, a, ada.ID, 3)
	inB := finishedEnrollments(t, d, b, ada.ID, 3)
	want := "not added to A: workflow chain A → B → A → B → A → B reached the depth limit of 5"
	var stopped []string
	for _, e := range append(inA, inB...) {
		if e.Status != "completed" {
			t.Errorf("enrollment %s of %s is %s (%s), want completed", e.ID, e.WorkflowID, e.Status, e.ExitReason)
		}
		last := e.Steps[len(e.Steps)-1]
		switch {
		case last.StepID != "add":
			t.Errorf("enrollment %s ended at %s", e.ID, last.StepID)
		case last.Status == "skipped":
			if last.Output["reason"] != want {
				t.Errorf("skipped with %q, want %q", last.Output["reason"], want)
			}
			stopped = append(stopped, e.WorkflowID)
		case last.Status != "completed" || last.Output["created"] != true:
			t.Errorf("enrollment %s: step add = %s %v", e.ID, last.Status, last.Output)
		}
	}
	if len(stopped) != 1 || stopped[0] != b {
		t.Errorf("the chain stopped in %v, want once, in B", stopped)
	}
}

// TestRemoveFromWorkflowOnTheEmbeddedServer: one workflow removes the
// contact from another where it waits (that enrollment exits with the
// reason, its run ends), then removes it from itself (exited, nothing
// after the step runs).
func TestRemoveFromWorkflowOnTheEmbeddedServer(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var ada idOnly
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &ada)
	nurture := saveWorkflow(t, d, "POST", "/v1/workflows", `{"name": "Nurture", "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "s"},
		{"id": "s", "type": "send_sms", "config": {"body": "still here?"}}]}`)
	publishWorkflow(t, d, nurture)
	var waiting idOnly
	call(t, d, "POST", "/v1/workflows/"+nurture+"/enrollments", map[string]any{"contact_id": ada.ID}, &waiting)
	waitFor(t, d, waiting.ID, "waiting")

	stop := saveWorkflow(t, d, "POST", "/v1/workflows", `{"name": "Unsubscribe", "start": "r1", "steps": [
		{"id": "r1", "type": "remove_from_workflow", "config": {"workflow_id": "`+nurture+`"}, "next": "r2"},
		{"id": "r2", "type": "remove_from_workflow", "next": "s"},
		{"id": "s", "type": "send_sms", "config": {"body": "too late"}}]}`)
	publishWorkflow(t, d, stop)
	var e idOnly
	call(t, d, "POST", "/v1/workflows/"+stop+"/enrollments", map[string]any{"contact_id": ada.ID}, &e)
	waitFor(t, d, e.ID, "exited")

	var own, other loggedEnrollment
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &own)
	if own.ExitReason != "removed from workflow by step r2" {
		t.Errorf("own exit reason = %q", own.ExitReason)
	}
	if len(own.Steps) != 2 || own.Steps[0].Output["removed"] != float64(1) || own.Steps[1].StepID != "r2" {
		t.Errorf("own steps = %+v, want r1 (removed 1) and r2 only", own.Steps)
	}
	waitFor(t, d, waiting.ID, "exited")
	call(t, d, "GET", "/v1/enrollments/"+waiting.ID, nil, &other)
	if other.ExitReason != "removed by workflow Unsubscribe step r1" {
		t.Errorf("other exit reason = %q", other.ExitReason)
	}
	var full struct {
		TemporalWorkflowID string `json:"temporal_workflow_id"`
	}
	call(t, d, "GET", "/v1/enrollments/"+waiting.ID, nil, &full)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.App.Temporal.GetWorkflow(ctx, full.TemporalWorkflowID, "").Get(ctx, nil); err != nil {
		t.Errorf("the removed enrollment's run did not close cleanly: %v", err)
	}
	var msgs struct {
		Items []any `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+ada.ID, nil, &msgs)
	if len(msgs.Items) != 0 {
		t.Errorf("%d messages sent after the removals, want none", len(msgs.Items))
	}
}

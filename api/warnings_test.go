package api

import (
	"net/http"
	"testing"
)

// waitsForReply is a valid definition whose wait for a reply has no timeout.
func waitsForReply(name string) map[string]any {
	def := simpleWorkflow(name)
	def["steps"] = []any{
		map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": "Still interested?"}, "next": "w"},
		map[string]any{"id": "w", "type": "wait", "config": map[string]any{"mode": "event",
			"events": []any{map[string]any{"type": "customer_replied"}}}},
	}
	return def
}

// warningsOf checks the answer carries warnings and returns them by path.
func warningsOf(t *testing.T, wf map[string]any) map[string]string {
	t.Helper()
	list, ok := wf["warnings"].([]any)
	if !ok {
		t.Fatalf("no warnings list in %v", wf)
	}
	out := map[string]string{}
	for _, w := range list {
		m := w.(map[string]any)
		out[m["path"].(string)] = m["message"].(string)
	}
	return out
}

func TestWorkflowAnswersCarryWarnings(t *testing.T) {
	v := newEnv(t)
	const at = "steps[1].config.timeout"
	const msg = "waits forever if no matching event comes: set timeout (and on_timeout)"

	// Saved despite the warning, which every answer names.
	wf := v.do(http.MethodPost, "/v1/workflows", waitsForReply("Follow up")).expect(http.StatusCreated).obj()
	id := wf["id"].(string)
	if w := warningsOf(t, wf); len(w) != 1 || w[at] != msg {
		t.Fatalf("POST warnings: %v", w)
	}
	got := v.do(http.MethodGet, "/v1/workflows/"+id, nil).expect(http.StatusOK).obj()
	if w := warningsOf(t, got); w[at] != msg {
		t.Fatalf("GET warnings: %v", w)
	}
	// Publishing is not blocked either.
	pub := v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK).obj()
	if w := warningsOf(t, pub); w[at] != msg {
		t.Fatalf("publish warnings: %v", w)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	v.do(http.MethodGet, "/v1/workflows", nil).expect(http.StatusOK).decode(&list)
	if len(list.Items) != 1 || warningsOf(t, list.Items[0])[at] != msg {
		t.Fatalf("list: %v", list.Items)
	}

	// The GET answer sent back with a timeout set: accepted (warnings is
	// read-only), and the warning is gone.
	got["steps"].([]any)[1].(map[string]any)["config"].(map[string]any)["timeout"] = "3d"
	put := v.do(http.MethodPut, "/v1/workflows/"+id, got).expect(http.StatusOK).obj()
	if w := warningsOf(t, put); len(w) != 0 {
		t.Fatalf("PUT warnings after setting timeout: %v", w)
	}
	if w := warningsOf(t, v.createWorkflowAs(v.key, simpleWorkflow("Plain"))); len(w) != 0 {
		t.Fatalf("warnings of a workflow without waits: %v", w)
	}
}

// Reads of steps that cannot hold anything, and a wait until a time long
// gone, are saved with a warning at the exact field that says so.
func TestWorkflowAnswersWarnOfEmptyStepReadsAndPassedWaits(t *testing.T) {
	v := newEnv(t)
	def := simpleWorkflow("Typos")
	def["steps"] = []any{
		map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": "Hi"}, "next": "u"},
		map[string]any{"id": "u", "type": "wait", "config": map[string]any{"mode": "until", "at": "2020-01-01 09:00", "if_passed": "exit"}, "next": "b"},
		map[string]any{"id": "b", "type": "if_else", "config": map[string]any{
			"branches": []any{map[string]any{"name": "sent", "next": "e",
				"when": map[string]any{"all": []any{
					map[string]any{"field": "steps.s1.message_id", "op": "is_not_empty"},
					map[string]any{"field": "steps.sl.message_id", "op": "is_not_empty"}}}}},
			"else": "e"}},
		map[string]any{"id": "e", "type": "send_email", "config": map[string]any{"subject": "Hi", "body": "Order {{ steps.webhook.response.body.id | upcase }}"}},
	}
	wf := v.do(http.MethodPost, "/v1/workflows", def).expect(http.StatusCreated).obj()
	want := map[string]string{
		"steps[1].config.at":                            `"2020-01-01 09:00" has passed already, so this step never waits: the contact exits the workflow here (if_passed: exit)`,
		"steps[2].config.branches[0].when.all[1].field": `reads steps.sl, but no step has the id "sl"`,
		"steps[3].config.body":                          `reads steps.webhook, but no step has the id "webhook"`,
	}
	got := warningsOf(t, wf)
	if len(got) != len(want) {
		t.Fatalf("POST warnings: %v", got)
	}
	for path, msg := range want {
		if got[path] != msg {
			t.Errorf("warning at %s = %q, want %q", path, got[path], msg)
		}
	}
}

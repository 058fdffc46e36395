package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestRecordHistories records the histories that workflows/replay_test.go
// replays in CI. It runs only when asked, after a deliberate, versioned
// change to the interpreter:
//
//	CRMFLOW_RECORD_HISTORIES=1 go test -run TestRecordHistories ./internal/app/
func TestRecordHistories(t *testing.T) {
	if os.Getenv("CRMFLOW_RECORD_HISTORIES") != "1" {
		t.Skip("set CRMFLOW_RECORD_HISTORIES=1 to record new histories into workflows/testdata/histories")
	}
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, noEmail, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Bo", "phone": "+14155550124"}, &noEmail)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "every issue-2 step", "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}"}, "next": "s2"},
		{"id": "s2", "type": "wait", "config": {"mode": "delay", "duration": "1s"}, "next": "s3"},
		{"id": "s3", "type": "if_else", "config": {"branches": [{"name": "Has email", "when": {"field": "contact.email", "op": "is_not_empty"}, "next": "s4"}], "else": "s5"}},
		{"id": "s4", "type": "send_email", "config": {"subject": "Hi", "body": "<p>Hi</p>"}, "next": "s5"},
		{"id": "s5", "type": "add_tag", "config": {"tags": ["nurtured"]}, "next": "s6"},
		{"id": "s6", "type": "update_contact", "config": {"fields": {"custom.stage": "warm"}}, "next": "s7"},
		{"id": "s7", "type": "remove_tag", "config": {"tags": ["nurtured"]}, "next": "s8"},
		{"id": "s8", "type": "webhook", "config": {"url": "http://127.0.0.1:9/unreachable"}, "retry": {"max_attempts": 2, "initial_interval": "1s"}, "on_failure": "continue", "next": "s9"},
		{"id": "s9", "type": "if_else", "config": {"branches": [{"name": "Warm", "when": {"field": "contact.custom.stage", "op": "is", "value": "warm"}, "next": "s10"}], "else": "s10"}},
		{"id": "s10", "type": "goto", "config": {"step": "s11"}},
		{"id": "s11", "type": "end", "config": {"reason": "done"}}
	]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	for name, id := range map[string]string{"quickstart-with-email": contact.ID, "quickstart-without-email": noEmail.ID} {
		var e enrollmentView
		call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": id}, &e)
		waitFor(t, d, e.ID, "completed")
		var full struct {
			TemporalWorkflowID string `json:"temporal_workflow_id"`
			TemporalRunID      string `json:"temporal_run_id"`
		}
		call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &full)
		h := &historypb.History{}
		it := d.App.Temporal.GetWorkflowHistory(context.Background(), full.TemporalWorkflowID, full.TemporalRunID, false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, ev)
		}
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "workflows", "testdata", "histories", name+".json")
		os.MkdirAll(filepath.Dir(out), 0o755)
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s (%d events)", out, len(h.Events))
	}
}

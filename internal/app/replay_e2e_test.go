package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/replay"
)

// TestReplayAFinishedEnrollmentFromTheServer replays a finished enrollment's
// run fetched from the embedded server by workflow id, and finds it again
// through the CrmWorkflowId search attribute, as `crmflow replay
// --workflow-id` and `crmflow replay --workflow <id> --all` do.
func TestReplayAFinishedEnrollmentFromTheServer(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "replayed", "triggers": [], "start": "s1", "steps": [
		{"id": "s1", "type": "add_tag", "config": {"tags": ["replayed"]}, "next": "s2"},
		{"id": "s2", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}"}, "next": "s3"},
		{"id": "s3", "type": "end", "config": {"reason": "done"}}
	]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e)
	waitFor(t, d, e.ID, "completed")
	var full struct {
		TemporalWorkflowID string `json:"temporal_workflow_id"`
		TemporalRunID      string `json:"temporal_run_id"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &full)
	if full.TemporalWorkflowID == "" {
		t.Fatal("the enrollment has no Temporal workflow id")
	}

	ctx := context.Background()
	h, err := replay.Fetch(ctx, d.App.Temporal, full.TemporalWorkflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := (replay.Checker{}).Replay(full.TemporalWorkflowID, h); !r.OK() {
		t.Fatalf("the finished run does not replay: %s", r)
	}

	q, err := replay.RunsQuery(wf.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	var runs []replay.Run
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if runs, err = replay.Runs(ctx, d.App.Temporal, q); err != nil {
			t.Fatal(err)
		}
		if len(runs) > 0 {
			break
		}
	}
	if len(runs) != 1 || runs[0].WorkflowID != full.TemporalWorkflowID {
		t.Fatalf("runs where %s: %+v, want the enrollment's run %s", q, runs, full.TemporalWorkflowID)
	}
	h, err = replay.Fetch(ctx, d.App.Temporal, runs[0].WorkflowID, runs[0].RunID)
	if err != nil {
		t.Fatal(err)
	}
	if r := (replay.Checker{}).Replay(runs[0].Source(), h); !r.OK() {
		t.Fatalf("the listed run does not replay: %s", r)
	}
	// Temporal records the run as completed, so --failed finds nothing.
	q, _ = replay.RunsQuery(wf.ID, true)
	if failed, err := replay.Runs(ctx, d.App.Temporal, q); err != nil || len(failed) != 0 {
		t.Fatalf("failed runs where %s: %+v, %v", q, failed, err)
	}
}

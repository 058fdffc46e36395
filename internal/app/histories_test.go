package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"

	"github.com/crmflow/crmflow/workflows"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestRecordHistories records the histories that workflows/replay_test.go
// replays in CI. It runs only when asked, naming the scenarios to record
// (or "all", or 1):
//
//	CRMFLOW_RECORD_HISTORIES=flow go test -run TestRecordHistories ./internal/app/
//
// A history recorded by older code stands for the runs that code left in
// flight: record new scenarios beside it, never over it. Names end in the
// changeFlowControl version they were recorded at (recordedAt, which
// follows workflows.FlowControlLatest), and saveRun refuses to overwrite a
// file, so a new recording never replaces an old one.
func TestRecordHistories(t *testing.T) {
	want := os.Getenv("CRMFLOW_RECORD_HISTORIES")
	if want == "" {
		t.Skip("set CRMFLOW_RECORD_HISTORIES=<quickstart,flow,...|all> to record histories into workflows/testdata/histories")
	}
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	for name, record := range map[string]func(*testing.T, *Dev){"quickstart": recordQuickStart, "flow": recordFlowHistories, "chain": recordDripAndChain} {
		if want == "all" || want == "1" || slices.Contains(strings.Split(want, ","), name) {
			t.Run(name, func(t *testing.T) { record(t, d) })
		}
	}
}

// recordQuickStart records the steps of issue 2 (two paths).
func recordQuickStart(t *testing.T, d *Dev) {
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
	for name, id := range map[string]string{"quickstart-with-email" + recordedAt: contact.ID, "quickstart-without-email" + recordedAt: noEmail.ID} {
		var e enrollmentView
		call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": id}, &e)
		waitFor(t, d, e.ID, "completed")
		saveHistory(t, d, name, e.ID)
	}
}

// waitAt polls an enrollment until it waits at step.
func waitAt(t *testing.T, d *Dev, id, step string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var e enrollmentView
		call(t, d, "GET", "/v1/enrollments/"+id, nil, &e)
		if e.Status == "waiting" && e.CurrentStep == step {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("enrollment %s never waited at %s", id, step)
}

// recordFlowHistories records runs through every wait mode and flow step.
func recordFlowHistories(t *testing.T, d *Dev) {
	now := time.Now().UTC()
	var contact, wf, appt, gone struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Flo", "email": "flo@example.com", "phone": "+14155550125",
		"timezone": "Europe/Berlin", "custom": map[string]any{"pause": "1s", "soon": now.Add(4 * time.Second).Format(time.RFC3339)}}, &contact)
	call(t, d, "POST", "/v1/appointments", map[string]any{"contact_id": contact.ID, "calendar_id": "cal",
		"start_time": now.Add(time.Hour + 10*time.Second).Format(time.RFC3339), "end_time": now.Add(2 * time.Hour).Format(time.RFC3339)}, &appt)
	call(t, d, "POST", "/v1/appointments", map[string]any{"contact_id": contact.ID, "calendar_id": "cal",
		"start_time": now.Add(3 * time.Hour).Format(time.RFC3339), "end_time": now.Add(4 * time.Hour).Format(time.RFC3339)}, &gone)
	berlin, _ := time.LoadLocation("Europe/Berlin") // the contact's zone, which the windows are read in
	open := map[string]any{"days": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
		"start": now.In(berlin).Add(-time.Hour).Format("15:04"), "end": now.In(berlin).Add(time.Hour).Format("15:04")}
	def := map[string]any{"name": "every flow step", "settings": map[string]any{"timezone": "contact", "time_window": open},
		"triggers": []any{}, "start": "d1", "steps": []any{
			step("d1", "wait", map[string]any{"mode": "delay", "duration": "{{contact.custom.pause}}"}, "u1"),
			step("u1", "wait", map[string]any{"mode": "until", "at": "{{contact.custom.soon}}"}, "u2"),
			step("u2", "wait", map[string]any{"mode": "until", "at": "2020-01-01", "if_passed": "goto", "goto": "a1"}, "a1"),
			step("a1", "wait", map[string]any{"mode": "appointment", "offset": "-1h", "appointment_id": appt.ID, "on_cancel": "x"}, "a2"),
			step("a2", "wait", map[string]any{"mode": "appointment", "offset": "-1h", "appointment_id": gone.ID, "on_cancel": "c0"}, "x"),
			step("c0", "wait", map[string]any{"mode": "condition", "until": map[string]any{"field": "contact.custom.never", "op": "is", "value": "yes"},
				"timeout": "2s", "on_timeout": "e1"}, "e1"),
			step("e1", "wait", map[string]any{"mode": "event", "events": []any{map[string]any{"type": "customer_replied",
				"filters": map[string]any{"field": "event.body", "op": "contains", "value": "yes"}}}, "timeout": "1m", "on_timeout": "x"}, "c1"),
			step("c1", "wait", map[string]any{"mode": "condition", "until": map[string]any{"field": "contact.tags", "op": "has_tag", "value": "ready"},
				"timeout": "1m", "on_timeout": "x"}, "r1"),
			step("r1", "wait", map[string]any{"mode": "delay", "duration": "1s", "resume_window": open}, "sp"),
			map[string]any{"id": "sp", "type": "split", "config": map[string]any{"paths": []any{
				map[string]any{"name": "A", "percent": 50, "next": "g0"}, map[string]any{"name": "B", "percent": 50, "next": "g0"}}}},
			step("g0", "goal", map[string]any{"events": []any{map[string]any{"type": "form_submitted"}}, "if_unmet": "continue"}, "sms"),
			step("sms", "send_sms", map[string]any{"body": "Hi {{contact.first_name}}"}, "g1"),
			step("g1", "goal", map[string]any{"events": []any{map[string]any{"type": "payment_received"}}, "if_unmet": "wait", "timeout": "1m"}, "j1"),
			step("j1", "wait", map[string]any{"mode": "delay", "duration": "1h"}, "g2"),
			step("g2", "goal", map[string]any{"events": []any{map[string]any{"type": "invoice_paid",
				"filters": map[string]any{"field": "event.status", "op": "is", "value": "paid"}}}}, "fin"),
			map[string]any{"id": "fin", "type": "end", "config": map[string]any{"reason": "done"}},
			map[string]any{"id": "x", "type": "end", "config": map[string]any{"reason": "timed out"}},
		}}
	if code := call(t, d, "POST", "/v1/workflows", def, &wf); code != 201 {
		t.Fatalf("saving the flow workflow: %d", code)
	}
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e)
	event := func(id, typ string, data map[string]any) {
		var answer map[string]any
		if code := call(t, d, "POST", "/v1/events", map[string]any{"id": id, "type": typ, "contact": map[string]any{"id": contact.ID}, "data": data}, &answer); code != 202 {
			t.Fatalf("posting %s: %d %v", typ, code, answer)
		}
	}
	waitAt(t, d, e.ID, "a1")
	// Reschedule the appointment sooner: the wait moves and ends in a second.
	call(t, d, "PATCH", "/v1/appointments/"+appt.ID, map[string]any{"start_time": time.Now().UTC().Add(time.Hour + time.Second).Format(time.RFC3339)}, nil)
	waitAt(t, d, e.ID, "a2")
	// Delete the other appointment: a2 takes on_cancel (c0), whose condition times out.
	if code := call(t, d, "DELETE", "/v1/appointments/"+gone.ID, nil, nil); code != 204 {
		t.Fatalf("deleting the appointment: %d", code)
	}
	waitAt(t, d, e.ID, "e1")
	event("rec-no", "customer_replied", map[string]any{"channel": "sms", "body": "no"})
	event("rec-yes", "customer_replied", map[string]any{"channel": "sms", "body": "yes"})
	waitAt(t, d, e.ID, "c1")
	call(t, d, "POST", "/v1/contacts/"+contact.ID+"/tags", map[string]any{"tags": []string{"ready"}}, nil)
	waitAt(t, d, e.ID, "g1")
	event("rec-pay", "payment_received", map[string]any{"amount": 10, "currency": "usd"})
	waitAt(t, d, e.ID, "j1")
	event("rec-invoice", "invoice_paid", map[string]any{"status": "paid", "amount": 10, "currency": "usd"}) // jumps from the 1h wait to g2
	waitFor(t, d, e.ID, "completed")
	saveHistory(t, d, "flow-every-mode"+recordedAt, e.ID)
}

// recordDripAndChain records a run through a drip step, add_to_workflow and
// remove_from_workflow (of another workflow, then of itself), and the drip
// step's coordinator.
func recordDripAndChain(t *testing.T, d *Dev) {
	var contact, target, other, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Gil", "phone": "+14155550126"}, &contact)
	publish := func(def map[string]any, out any) {
		if code := call(t, d, "POST", "/v1/workflows", def, out); code != 201 {
			t.Fatalf("saving %v: %d", def["name"], code)
		}
		id := out.(*struct {
			ID string `json:"id"`
		}).ID
		if code := call(t, d, "POST", "/v1/workflows/"+id+"/publish", nil, nil); code != 200 {
			t.Fatalf("publishing %v: %d", def["name"], code)
		}
	}
	publish(map[string]any{"name": "target", "triggers": []any{}, "start": "t",
		"steps": []any{step("t", "add_tag", map[string]any{"tags": []string{"added"}}, "")}}, &target)
	publish(map[string]any{"name": "other", "triggers": []any{}, "start": "w",
		"steps": []any{step("w", "wait", map[string]any{"mode": "delay", "duration": "1h"}, "")}}, &other)
	publish(map[string]any{"name": "drip and chain", "triggers": []any{}, "start": "dr", "steps": []any{
		step("dr", "drip", map[string]any{"batch_size": 1, "interval": "2s"}, "add"),
		step("add", "add_to_workflow", map[string]any{"workflow_id": target.ID}, "rm"),
		step("rm", "remove_from_workflow", map[string]any{"workflow_id": other.ID}, "self"),
		step("self", "remove_from_workflow", map[string]any{}, ""),
	}}, &wf)
	var waiting, e enrollmentView
	call(t, d, "POST", "/v1/workflows/"+other.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &waiting)
	waitAt(t, d, waiting.ID, "w")
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e)
	waitFor(t, d, e.ID, "exited")
	waitFor(t, d, waiting.ID, "exited")
	saveHistory(t, d, "drip-add-remove"+recordedAt, e.ID)
	// The coordinator ends once nobody is queued for a minute: wait for it.
	id := workflows.DripCoordinatorID(wf.ID, "dr")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := d.App.Temporal.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		t.Fatalf("drip coordinator: %v", err)
	}
	saveRun(t, d, "drip-coordinator"+recordedAt, id, "")
}

// recordedAt names the interpreter version of new recordings (see
// workflows/versioning.go, changeFlowControl).
var recordedAt = fmt.Sprintf("-flow-v%d", workflows.FlowControlLatest)

func step(id, typ string, config map[string]any, next string) map[string]any {
	return map[string]any{"id": id, "type": typ, "config": config, "next": next}
}

// saveHistory writes the enrollment's (last) run history into testdata.
func saveHistory(t *testing.T, d *Dev, name, enrollmentID string) {
	t.Helper()
	var full struct {
		TemporalWorkflowID string `json:"temporal_workflow_id"`
		TemporalRunID      string `json:"temporal_run_id"`
	}
	call(t, d, "GET", "/v1/enrollments/"+enrollmentID, nil, &full)
	saveRun(t, d, name, full.TemporalWorkflowID, full.TemporalRunID)
}

// saveRun writes a run's history into testdata as <name>.json.
func saveRun(t *testing.T, d *Dev, name, workflowID, runID string) {
	t.Helper()
	h := &historypb.History{}
	it := d.App.Temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
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
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s exists: it stands for runs in flight; record at a new changeFlowControl version (or remove it if this very code recorded it)", out)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d events)", out, len(h.Events))
}

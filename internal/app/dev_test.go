package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/crmflow/crmflow/internal/config"
)

// startDev boots `crmflow dev` in-process on free ports with its data in dir.
func startDev(t *testing.T, dir string, temporalPort int) *Dev {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(dir, ".crmflow"), APIAddr: "127.0.0.1:0",
		TemporalPort: temporalPort, UIPort: -1, Config: config.Config{LogFormat: "text", TemporalNamespace: "default"},
		SweepInterval: time.Second})
	if err != nil {
		t.Fatalf("starting crmflow dev: %v", err)
	}
	return d
}

// call makes an API request with the dev key and decodes the JSON answer.
func call(t *testing.T, d *Dev, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.APIURL+path, r)
	req.Header.Set("Authorization", "Bearer "+d.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

type enrollmentView struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	CurrentStep string `json:"current_step"`
	Steps       []struct {
		StepID string `json:"step_id"`
		Status string `json:"status"`
	} `json:"steps"`
}

// waitFor polls an enrollment until it has the status, or fails after a minute.
func waitFor(t *testing.T, d *Dev, id, status string) enrollmentView {
	t.Helper()
	var e enrollmentView
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		call(t, d, "GET", "/v1/enrollments/"+id, nil, &e)
		if e.Status == status {
			return e
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("enrollment %s is %s at %s, want %s", id, e.Status, e.CurrentStep, status)
	return e
}

// pathWithJQ is the PATH for the quick start: the README uses jq, and where
// it is not installed the test builds gojq (a Go implementation of jq, a
// tool of this module) so `go test ./...` needs nothing else.
func pathWithJQ(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PATH")
	if _, err := exec.LookPath("jq"); err == nil {
		return path
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "jq"), "github.com/itchyny/gojq/cmd/gojq")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gojq as jq: %v\n%s", err, out)
	}
	return bin + string(os.PathListSeparator) + path
}

// quickStartScript returns the README's quick-start block, word for word.
func quickStartScript(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- quickstart:begin -->\\s*```sh\\n(.*?)```\\s*<!-- quickstart:end -->").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no quick-start block")
	}
	return string(m[1])
}

// TestREADMEQuickStart runs the README's curl walk-through against the
// embedded server, then checks what it promises: the enrollment walked every
// step and completed, the messages were rendered, the run is findable in
// Temporal by the contact's id.
func TestREADMEQuickStart(t *testing.T) {
	path := pathWithJQ(t)
	dir := t.TempDir()
	d := startDev(t, dir, 0)
	defer d.Stop()
	script := quickStartScript(t)
	const readmeAPI = "export API=http://127.0.0.1:8080\n"
	if !strings.Contains(script, readmeAPI) {
		t.Fatal("the quick start no longer sets API to the default address")
	}
	// Only the address differs: the test server listens on a free port.
	script = strings.Replace(script, readmeAPI, "export API="+d.APIURL+"\n", 1)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`contact (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no contact id in the output:\n%s", out)
	}
	contactID := string(m[1])

	var list struct {
		Items []enrollmentView `json:"items"`
	}
	var workflows struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows", nil, &workflows)
	if len(workflows.Items) != 1 {
		t.Fatalf("workflows = %+v", workflows)
	}
	call(t, d, "GET", "/v1/workflows/"+workflows.Items[0].ID+"/enrollments?contact_id="+contactID, nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("enrollments = %+v\n%s", list, out)
	}
	e := waitFor(t, d, list.Items[0].ID, "completed")
	var walked []string
	for _, s := range e.Steps {
		if s.Status != "completed" {
			t.Errorf("step %s is %s", s.StepID, s.Status)
		}
		walked = append(walked, s.StepID)
	}
	if strings.Join(walked, ",") != "s1,s2,s3,s4,s5" {
		t.Errorf("steps = %v", walked)
	}
	var msgs struct {
		Items []struct{ Channel, Body, Status, To string } `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+contactID, nil, &msgs)
	bodies := map[string]string{}
	for _, m := range msgs.Items {
		bodies[m.Channel] = m.Body
		if m.Status != "recorded" {
			t.Errorf("%s status %s, want recorded", m.Channel, m.Status)
		}
	}
	if bodies["sms"] != "Hi Ada!" || bodies["email"] == "" {
		t.Errorf("messages = %+v", msgs.Items)
	}
	if !strings.Contains(string(out), `"completed"`) || !strings.Contains(string(out), "Hi Ada!") || !strings.Contains(string(out), "nurtured") {
		t.Errorf("the walk-through's own output does not show the completed run:\n%s", out)
	}
	// Running the walk-through again changes nothing: its Idempotency-Keys
	// return the first answers, so nobody is enrolled or messaged twice.
	again := exec.Command("bash", "-euo", "pipefail", "-c", script)
	again.Dir, again.Env = dir, cmd.Env
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("second run of the quick start failed: %v\n%s", err, out)
	}
	call(t, d, "GET", "/v1/workflows", nil, &workflows)
	call(t, d, "GET", "/v1/messages?contact_id="+contactID, nil, &msgs)
	if len(workflows.Items) != 1 || len(msgs.Items) != 2 {
		t.Errorf("after a second run: %d workflows, %d messages; want 1 and 2", len(workflows.Items), len(msgs.Items))
	}
	// Support staff find the run by the contact's id.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := d.App.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", Query: fmt.Sprintf(`CrmContactId=%q`, contactID)})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Executions) == 1 && strings.HasPrefix(resp.Executions[0].Execution.WorkflowId, "enroll/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs found by CrmContactId: %d", len(resp.Executions))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRestartDuringWaitLosesNothing stops crmflow dev while an enrollment
// waits and starts it again on the same data folder: the timer fires after
// the restart and the run completes.
func TestRestartDuringWaitLosesNothing(t *testing.T) {
	dir := t.TempDir()
	d := startDev(t, dir, 0)
	temporalPort := portOf(t, d.Temporal.FrontendHostPort())
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "restart", "triggers": [{"id": "t1", "type": "contact_tag_added",
		"filters": {"field": "event.tag", "op": "is", "value": "lead"}}], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "4s"}, "next": "s"},
		{"id": "s", "type": "send_sms", "config": {"body": "after the wait"}}]}`), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	call(t, d, "POST", "/v1/contacts/"+contact.ID+"/tags", map[string]any{"tags": []string{"lead"}}, nil)
	var list struct {
		Items []enrollmentView `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/enrollments", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("enrollments = %+v", list)
	}
	id := list.Items[0].ID
	waitFor(t, d, id, "waiting")
	if err := d.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	d = startDev(t, dir, temporalPort)
	defer d.Stop()
	e := waitFor(t, d, id, "completed")
	if len(e.Steps) != 2 || e.Steps[1].Status != "completed" {
		t.Errorf("steps after restart = %+v", e.Steps)
	}
	var msgs struct {
		Items []struct{ Body string } `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+contact.ID, nil, &msgs)
	if len(msgs.Items) != 1 || msgs.Items[0].Body != "after the wait" {
		t.Errorf("messages = %+v", msgs.Items)
	}
}

// TestFiftyConcurrentTagRequestsEnrollOnce fires the same tag at one contact
// fifty times at once through the API.
func TestFiftyConcurrentTagRequestsEnrollOnce(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "once", "triggers": [{"id": "t1", "type": "contact_tag_added"}],
		"start": "a", "steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["done"]}}]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call(t, d, "POST", "/v1/contacts/"+contact.ID+"/tags", map[string]any{"tags": []string{"lead"}}, nil)
		}()
	}
	wg.Wait()
	var list struct {
		Items []enrollmentView `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/enrollments", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("enrollments = %d, want 1", len(list.Items))
	}
	waitFor(t, d, list.Items[0].ID, "completed")
}

func portOf(t *testing.T, hostPort string) int {
	var port int
	if _, err := fmt.Sscanf(hostPort[strings.LastIndex(hostPort, ":")+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return port
}

// TestCancelDuringWaitExitsAndSendsNothingMore removes a waiting contact
// from the workflow: the run stops and the step after the wait never runs.
func TestCancelDuringWaitExitsAndSendsNothingMore(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "cancel me", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "s"},
		{"id": "s", "type": "send_sms", "config": {"body": "too late"}}]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e); code != 201 {
		t.Fatalf("enroll: %d", code)
	}
	waitFor(t, d, e.ID, "waiting")
	if code := call(t, d, "POST", "/v1/enrollments/"+e.ID+"/cancel", nil, nil); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	waitFor(t, d, e.ID, "exited")
	var full struct {
		TemporalWorkflowID string `json:"temporal_workflow_id"`
		ExitReason         string `json:"exit_reason"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &full)
	run := d.App.Temporal.GetWorkflow(context.Background(), full.TemporalWorkflowID, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("the run did not close cleanly: %v", err)
	}
	if full.ExitReason == "" {
		t.Error("no exit reason")
	}
	var msgs struct {
		Items []any `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+contact.ID, nil, &msgs)
	if len(msgs.Items) != 0 {
		t.Errorf("messages after cancel = %d", len(msgs.Items))
	}
}

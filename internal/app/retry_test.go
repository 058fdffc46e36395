package app

import (
	"context"
	"encoding/json"
	enumspb "go.temporal.io/api/enums/v1"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/config"
)

// TestRetryResumesAFailedEnrollmentAtItsFailedStep: a webhook fails until
// its server is fixed; the enrollment fails; POST .../retry resumes it at
// the webhook (the SMS before it is not sent again) and it completes.
func TestRetryResumesAFailedEnrollmentAtItsFailedStep(t *testing.T) {
	var healthy atomic.Bool
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if !healthy.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ticket": "T-42"}`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(t.TempDir(), ".crmflow"), APIAddr: "127.0.0.1:0", UIPort: -1,
		Config: config.Config{LogFormat: "text", TemporalNamespace: "default", WebhookAllowPrivate: true}, SweepInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()

	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "ticket", "triggers": [], "start": "sms", "steps": [
		{"id": "sms", "type": "send_sms", "config": {"body": "We are on it"}, "next": "hook"},
		{"id": "hook", "type": "webhook", "config": {"url": "`+srv.URL+`/tickets"}, "retry": {"max_attempts": 2, "initial_interval": "1s"}, "next": "done"},
		{"id": "done", "type": "send_sms", "config": {"body": "Ticket {{steps.hook.response.body.ticket}}"}}]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e)
	waitFor(t, d, e.ID, "failed")
	if calls.Load() != 2 {
		t.Errorf("webhook attempts = %d, want 2", calls.Load())
	}
	// The failed enrollment's run is failed in Temporal too, so support staff
	// find it under the Web UI's failures.
	var full struct {
		TemporalWorkflowID string `json:"temporal_workflow_id"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &full)
	desc, err := d.App.Temporal.DescribeWorkflowExecution(ctx, full.TemporalWorkflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Errorf("Temporal status of the failed enrollment's run = %v, want FAILED", st)
	}
	if code := call(t, d, "POST", "/v1/enrollments/"+e.ID+"/retry", nil, nil); code != http.StatusConflict && code != http.StatusOK {
		t.Fatalf("retry: %d", code)
	}
	// the server was not fixed yet: the retry fails again
	waitFor(t, d, e.ID, "failed")

	healthy.Store(true)
	var retried struct {
		Retried int `json:"retried"`
	}
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/retry-failed", nil, &retried); code != 200 || retried.Retried != 1 {
		t.Fatalf("retry-failed: %d %+v", code, retried)
	}
	final := waitFor(t, d, e.ID, "completed")
	var msgs struct {
		Items []struct{ Body string } `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+contact.ID, nil, &msgs)
	if len(msgs.Items) != 2 || msgs.Items[0].Body != "We are on it" || msgs.Items[1].Body != "Ticket T-42" {
		t.Errorf("messages = %+v (the first SMS must not be sent again)", msgs.Items)
	}
	if n := len(final.Steps); n < 4 {
		t.Errorf("execution log has %d rows; want the failed attempts beside the successful one", n)
	}
	if code := call(t, d, "POST", "/v1/enrollments/"+e.ID+"/retry", nil, nil); code != http.StatusConflict {
		t.Errorf("retrying a completed enrollment: %d, want 409", code)
	}
}

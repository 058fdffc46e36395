package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/config"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// scrape reads /metrics from the API, without a key.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatalf("scraping /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(body)
}

// waitForMetrics scrapes until every line is there (Finish runs just after
// the enrollment row says how it ended), or fails after 30s.
func waitForMetrics(t *testing.T, url string, lines ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := scrape(t, url)
		var missing []string
		for _, l := range lines {
			// A whole line ("... 1" must not match "... 12"); a line
			// ending in } is a series whatever its value.
			end := "\n"
			if strings.HasSuffix(l, "}") {
				end = " "
			}
			if !strings.Contains(body, l+end) {
				missing = append(missing, l)
			}
		}
		if len(missing) == 0 {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMetricsAndStepLogsOfRealRuns runs three enrollments on the embedded
// Temporal server (one completes, one fails on a webhook that answers 503,
// one is cancelled while waiting), then scrapes /metrics for the API, the
// enrollment, step, provider and Temporal SDK metrics, and reads the JSON
// log for one line per step execution without message bodies.
func TestMetricsAndStepLogsOfRealRuns(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer hook.Close()
	logs := &lockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(t.TempDir(), ".crmflow"), APIAddr: "127.0.0.1:0", UIPort: -1,
		Config: config.Config{LogFormat: "json", TemporalNamespace: "default", WebhookAllowPrivate: true}, SweepInterval: time.Second,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()

	var contact, ok, broken, waits struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "welcome", "triggers": [], "start": "sms", "steps": [
		{"id": "sms", "type": "send_sms", "config": {"body": "secret welcome words"}}]}`), &ok)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "ticket", "triggers": [], "start": "hook", "steps": [
		{"id": "hook", "type": "webhook", "config": {"url": "`+hook.URL+`/tickets"}, "retry": {"max_attempts": 2, "initial_interval": "1s"}}]}`), &broken)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "patience", "triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}}]}`), &waits)
	for _, id := range []string{ok.ID, broken.ID, waits.ID} {
		call(t, d, "POST", "/v1/workflows/"+id+"/publish", nil, nil)
	}
	var e1, e2, e3 enrollmentView
	call(t, d, "POST", "/v1/workflows/"+ok.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e1)
	call(t, d, "POST", "/v1/workflows/"+broken.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e2)
	call(t, d, "POST", "/v1/workflows/"+waits.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e3)
	waitFor(t, d, e1.ID, "completed")
	waitFor(t, d, e2.ID, "failed")
	waitFor(t, d, e3.ID, "waiting")
	if code := call(t, d, "POST", "/v1/enrollments/"+e3.ID+"/cancel", nil, nil); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}
	waitFor(t, d, e3.ID, "exited")

	body := waitForMetrics(t, d.APIURL,
		`crmflow_http_requests_total{code="2xx",method="POST",route="/v1/workflows/:id/enrollments"} 3`,
		`crmflow_http_requests_total{code="2xx",method="GET",route="/v1/enrollments/:id"}`,
		`crmflow_enrollments_total{event="started",workflow_id="`+ok.ID+`"} 1`,
		`crmflow_enrollments_total{event="completed",workflow_id="`+ok.ID+`"} 1`,
		`crmflow_enrollments_total{event="started",workflow_id="`+broken.ID+`"} 1`,
		`crmflow_enrollments_total{event="failed",workflow_id="`+broken.ID+`"} 1`,
		`crmflow_enrollments_total{event="exited",workflow_id="`+waits.ID+`"} 1`,
		`crmflow_step_executions_total{outcome="completed",step_type="send_sms"} 1`,
		`crmflow_step_executions_total{outcome="error",step_type="webhook"} 2`,
		`crmflow_step_executions_total{outcome="failed",step_type="webhook"} 1`,
		`crmflow_step_executions_total{outcome="waiting",step_type="wait"} 1`,
		`crmflow_step_duration_seconds_count{outcome="completed",step_type="send_sms"} 1`,
		`crmflow_provider_errors_total{provider="webhook"} 2`,
		"# TYPE temporal_request counter",
		"# TYPE temporal_workflow_completed counter",
	)
	for _, raw := range []string{e1.ID, contact.ID, "/v1/enrollments/" + e1.ID} {
		if strings.Contains(body, raw) {
			t.Errorf("/metrics names %q: ids of runs and contacts must not become labels", raw)
		}
	}

	// One JSON line per step execution, with the ids and no message body.
	var sms map[string]any
	steps := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "step" {
			continue
		}
		steps++
		if rec["enrollment_id"] == e1.ID {
			sms = rec
		}
	}
	if steps < 5 { // sms, two webhook attempts, the webhook's failure, the wait
		t.Errorf("%d step log lines, want at least 5:\n%s", steps, logs.String())
	}
	if sms == nil {
		t.Fatalf("no step log line for enrollment %s:\n%s", e1.ID, logs.String())
	}
	for k, want := range map[string]any{"level": "INFO", "account_id": nil, "workflow_id": ok.ID, "enrollment_id": e1.ID,
		"run_id": nil, "step_id": "sms", "step_type": "send_sms", "outcome": "completed", "duration_ms": nil} {
		got, present := sms[k]
		if !present || got == "" || (want != nil && got != want) {
			t.Errorf("step log %s = %v, want %v (line %v)", k, got, want, sms)
		}
	}
	if strings.Contains(logs.String(), "secret welcome words") {
		t.Error("the log holds a message body")
	}
}

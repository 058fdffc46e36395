package workflows_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// A custom webhook that fails twice (a 503, then a 429 asking for two
// minutes) and then answers: Temporal retries it, waits out the Retry-After,
// and the next step reads the answer's body in its template.
func TestCustomWebhookResponseFeedsTheNextStep(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		mu.Lock()
		bodies = append(bodies, body)
		auths = append(auths, r.Header.Get("Authorization"))
		n := len(bodies)
		mu.Unlock()
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"lead": {"id": "L-981", "score": 87}}`)
		}
	}))
	defer srv.Close()

	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com"), Phone: ptr("+14155550123")})
	_, e := f.publish(`{"name": "crm sync", "triggers": [], "start": "h", "steps": [
		{"id": "h", "type": "custom_webhook", "name": "Create lead", "config": {
			"method": "POST", "url": "` + srv.URL + `/leads", "auth": {"type": "bearer", "token": "tok-INTERP"},
			"body": {"email": "{{contact.email}}", "tag": "{{event.tag}}"}}, "next": "s"},
		{"id": "s", "type": "send_sms", "config": {"body": "Your lead {{steps.h.response.body.lead.id}} scored {{steps.h.response.body.lead.score}} ({{steps.h.response.status}})"}}
	]}`)
	env := f.env()
	var starts []time.Time
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == workflows.ActivityExecuteStep {
			starts = append(starts, env.Now())
		}
	})
	f.run(env, e, &workflows.Event{Type: "contact_tag_added", Data: map[string]any{"tag": "vip"}})

	if got := f.enrollment(e.ID); got.Status != models.EnrollmentCompleted {
		t.Fatalf("enrollment = %s %q", got.Status, got.ExitReason)
	}
	msgs := f.messages()
	if len(msgs) != 1 || msgs[0].Body != "Your lead L-981 scored 87 (201)" {
		t.Fatalf("messages = %+v", msgs)
	}
	mu.Lock()
	if len(bodies) != 3 || bodies[2]["email"] != "ada@example.com" || bodies[2]["tag"] != "vip" || auths[2] != "Bearer tok-INTERP" {
		t.Errorf("webhook got %v with %v", bodies, auths)
	}
	mu.Unlock()
	// Attempts at the webhook: the first two retries, then the SMS step.
	if len(starts) < 3 {
		t.Fatalf("activity starts = %v", starts)
	}
	if gap := starts[2].Sub(starts[1]); gap < 120*time.Second || gap > 130*time.Second {
		t.Errorf("retry after the 429 came %s later, want Retry-After's 120s", gap)
	}
	if gap := starts[1].Sub(starts[0]); gap > 10*time.Second {
		t.Errorf("retry after the 503 came %s later, want the step's backoff (2s)", gap)
	}
	var hook models.StepExecution
	for _, row := range f.log(e.ID) {
		if row.StepID == "h" {
			hook = row
		}
	}
	if hook.Status != models.StepCompleted || hook.Attempts != 3 || hook.Error != "" {
		t.Errorf("webhook log row = %s, %d attempts, %q", hook.Status, hook.Attempts, hook.Error)
	}
	if out, _ := json.Marshal(hook.Output); !strings.Contains(string(out), "L-981") {
		t.Errorf("webhook output = %s", out)
	}
}

// A 4xx is not retried: the step fails at once, with the status and the
// answer's snippet in the log, and never the credential.
func TestCustomWebhookClientErrorFailsAtOnceWithoutTheSecret(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error": "key `+r.URL.Query().Get("api_key")+` is revoked"}`)
	}))
	defer srv.Close()
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	_, e := f.publish(`{"name": "crm sync", "triggers": [], "start": "h", "steps": [
		{"id": "h", "type": "custom_webhook", "config": {"method": "GET", "url": "` + srv.URL + `/me",
			"auth": {"type": "api_key", "key": "api_key", "value": "live-KEY-77", "in": "query"}}}
	]}`)
	f.runFailing(f.env(), e, nil)
	got := f.enrollment(e.ID)
	if got.Status != models.EnrollmentFailed || !strings.Contains(got.ExitReason, "answered 403") || strings.Contains(got.ExitReason, "live-KEY-77") {
		t.Errorf("enrollment = %s %q", got.Status, got.ExitReason)
	}
	if calls != 1 {
		t.Errorf("called %d times, want 1 (no retry on 403)", calls)
	}
	rows := f.log(e.ID)
	if len(rows) != 1 || rows[0].Status != models.StepFailed || !strings.Contains(rows[0].Error, "revoked") ||
		strings.Contains(rows[0].Error, "live-KEY-77") || !strings.Contains(rows[0].Error, "[redacted]") {
		t.Errorf("log = %+v", rows)
	}
}

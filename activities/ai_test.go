package activities_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
)

// chatServer speaks OpenAI's chat completions API on loopback: it answers
// with the statuses in fail first, then with a reply.
type chatServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []map[string]any
	auth     []string
	fail     []int
}

func newChatServer(t *testing.T, fail ...int) *chatServer {
	cs := &chatServer{fail: fail}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, `{"error": {"message": "no such route"}}`, http.StatusNotFound)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		cs.mu.Lock()
		cs.requests = append(cs.requests, body)
		cs.auth = append(cs.auth, r.Header.Get("Authorization"))
		var status int
		if len(cs.fail) > 0 {
			status, cs.fail = cs.fail[0], cs.fail[1:]
		}
		cs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error": {"message": "The model 'nope' does not exist", "type": "invalid_request_error"}}`))
			return
		}
		msgs := body["messages"].([]any)
		prompt := msgs[len(msgs)-1].(map[string]any)["content"].(string)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "Echo: " + prompt}}},
			"usage": map[string]any{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
		})
	}))
	t.Cleanup(cs.Close)
	return cs
}

const aiStep = `{"id": "ai", "type": "ai_prompt", "config": {"model": "gpt-4o-mini", "temperature": 0.2,
  "prompt": "Write a one-line welcome for {{contact.first_name}}"}}`

func TestAIPromptAsksTheChatEndpoint(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	srv := newChatServer(t)
	// Not AllowPrivate: the operator's own endpoint is reachable on
	// loopback all the same (tenants cannot change where it points).
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs,
		AI: activities.AIOptions{BaseURL: srv.URL + "/v1/", APIKey: "sk-test"}})
	res, err := execute(t, a, f.input(aiStep))
	if err != nil {
		t.Fatal(err)
	}
	if res.Output["response"] != "Echo: Write a one-line welcome for Ada" || res.Output["model"] != "gpt-4o-mini" || res.Output["finish_reason"] != "stop" {
		t.Errorf("output = %v", res.Output)
	}
	req := srv.requests[0]
	if req["model"] != "gpt-4o-mini" || req["temperature"] != 0.2 || srv.auth[0] != "Bearer sk-test" {
		t.Errorf("request = %v, auth %q", req, srv.auth[0])
	}
	// The execution log has the reply, never the key.
	var row struct{ Output string }
	f.db.Raw("SELECT CAST(output AS TEXT) AS output FROM step_executions WHERE step_id = 'ai'").Scan(&row)
	if !strings.Contains(row.Output, "Echo: Write") || strings.Contains(row.Output, "sk-test") {
		t.Errorf("logged output = %s", row.Output)
	}
}

func TestAIPromptFailures(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	cases := []struct {
		name      string
		opts      func(url string) activities.AIOptions
		fail      []int
		retryable bool
		contains  string
	}{
		{"not configured", func(string) activities.AIOptions { return activities.AIOptions{} }, nil, false, "not configured"},
		{"overloaded", func(u string) activities.AIOptions { return activities.AIOptions{BaseURL: u + "/v1", APIKey: "k"} }, []int{503}, true, "503"},
		{"rate limited", func(u string) activities.AIOptions { return activities.AIOptions{BaseURL: u + "/v1", APIKey: "k"} }, []int{429}, true, "429"},
		{"bad model", func(u string) activities.AIOptions { return activities.AIOptions{BaseURL: u + "/v1", APIKey: "k"} }, []int{404}, false, "The model 'nope' does not exist"},
		{"bad key", func(u string) activities.AIOptions { return activities.AIOptions{BaseURL: u + "/v1", APIKey: "k"} }, []int{401}, false, "401"},
		{"wrong path", func(u string) activities.AIOptions { return activities.AIOptions{BaseURL: u + "/nope", APIKey: "k"} }, nil, false, "no such route"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newChatServer(t, c.fail...)
			a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AI: c.opts(srv.URL)})
			_, err := execute(t, a, f.input(aiStep))
			if err == nil || !strings.Contains(err.Error(), c.contains) {
				t.Fatalf("error = %v, want one with %q", err, c.contains)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				if c.retryable {
					return // a plain error is retried
				}
				t.Fatalf("error %T is not an application error", err)
			}
			if appErr.NonRetryable() == c.retryable {
				t.Errorf("non-retryable = %v, want retryable %v", appErr.NonRetryable(), c.retryable)
			}
		})
	}
}

func TestAIClientRefusesRedirectsElsewhere(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	target := newChatServer(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AI: activities.AIOptions{BaseURL: redirector.URL + "/v1", APIKey: "sk-secret"}})
	_, err := execute(t, a, f.input(aiStep))
	if err == nil || !strings.Contains(err.Error(), "redirected") {
		t.Fatalf("error = %v, want the redirect refused", err)
	}
	if len(target.requests) != 0 {
		t.Error("the request (and its key) followed the redirect")
	}
}

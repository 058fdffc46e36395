package activities_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// seen is one request as a test server received it.
type seen struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
}

// hookServer is a loopback HTTP server that records what it receives and
// answers with what the test queued (200 {"ok": true} when nothing is).
type hookServer struct {
	*httptest.Server
	mu      sync.Mutex
	got     []seen
	answers []func(w http.ResponseWriter, r *http.Request)
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
		var answer func(http.ResponseWriter, *http.Request)
		if len(h.answers) > 0 {
			answer, h.answers = h.answers[0], h.answers[1:]
		}
		h.mu.Unlock()
		if answer == nil {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok": true}`)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

// then queues an answer: status, headers as "Name: value" pairs, body.
func (h *hookServer) then(status int, body string, headers ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answers = append(h.answers, func(w http.ResponseWriter, r *http.Request) {
		for _, kv := range headers {
			k, v, _ := strings.Cut(kv, ": ")
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func (h *hookServer) requests() []seen {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]seen(nil), h.got...)
}

func (h *hookServer) last(t *testing.T) seen {
	t.Helper()
	got := h.requests()
	if len(got) == 0 {
		t.Fatal("the server received nothing")
	}
	return got[len(got)-1]
}

func hookStep(config string) string {
	return `{"id": "h", "type": "custom_webhook", "config": ` + config + `}`
}

func response(t *testing.T, res workflows.StepResult) map[string]any {
	t.Helper()
	r, ok := res.Output["response"].(map[string]any)
	if !ok {
		t.Fatalf("output = %v, want a response", res.Output)
	}
	return r
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("err = %v (%T), want an application error", err, err)
	}
	return appErr
}

func stepRow(t *testing.T, f *fixture) models.StepExecution {
	t.Helper()
	var rows []models.StepExecution
	f.db.Where("enrollment_id = ?", "enr1").Find(&rows)
	if len(rows) != 1 {
		t.Fatalf("execution log = %+v, want one row", rows)
	}
	return rows[0]
}

func TestCustomWebhookSendsMethodURLHeadersQueryAndJSONBody(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com"), Custom: map[string]any{"plan": "pro"}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE", "post"} {
		srv.then(201, `{"id": "rec_42", "items": [{"n": 1}]}`, "Content-Type: application/json", "X-Request-Id: r-1")
		res, err := execute(t, a, f.input(hookStep(`{
			"method": "`+method+`", "url": "`+srv.URL+`/people/{{contact.first_name | downcase}}?source=crm",
			"headers": {"X-Plan": "{{contact.custom.plan}}", "Content-Type": "application/vnd.api+json"},
			"query": {"email": "{{contact.email}}", "page": "2"},
			"body": {"name": "{{contact.first_name}}", "big": 12345678901234567890, "price": 49.90, "vip": true,
			         "tags": ["a", "{{contact.custom.plan}}"], "none": null}}`)))
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		got := srv.last(t)
		if got.Method != strings.ToUpper(method) || got.Path != "/people/ada" {
			t.Errorf("%s: request %s %s", method, got.Method, got.Path)
		}
		if got.Query.Get("source") != "crm" || got.Query.Get("email") != "ada@example.com" || got.Query.Get("page") != "2" {
			t.Errorf("%s: query = %v", method, got.Query)
		}
		if got.Header.Get("X-Plan") != "pro" || got.Header.Get("Content-Type") != "application/vnd.api+json" ||
			got.Header.Get("Idempotency-Key") != "enr1/h/1" || got.Header.Get("User-Agent") == "" {
			t.Errorf("%s: headers = %v", method, got.Header)
		}
		want := `{"big":12345678901234567890,"name":"Ada","none":null,"price":49.90,"tags":["a","pro"],"vip":true}`
		if got.Body != want {
			t.Errorf("%s: body = %s, want %s", method, got.Body, want)
		}
		r := response(t, res)
		body, _ := r["body"].(map[string]any)
		headers, _ := r["headers"].(map[string]any)
		if r["status"] != float64(201) || body["id"] != "rec_42" || headers["x-request-id"] != "r-1" {
			t.Errorf("%s: response = %v", method, r)
		}
	}
}

func TestCustomWebhookGETWithoutBodyAndTextAnswer(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	srv.then(200, "plain words", "Content-Type: text/plain")
	res, err := execute(t, a, f.input(hookStep(`{"method": "GET", "url": "`+srv.URL+`/lookup", "query": {"q": "{{contact.first_name}}"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	got := srv.last(t)
	if got.Method != "GET" || got.Body != "" || got.Header.Get("Content-Type") != "" || got.Query.Get("q") != "Ada" {
		t.Errorf("request = %+v", got)
	}
	if r := response(t, res); r["body"] != "plain words" || r["status"] != float64(200) {
		t.Errorf("response = %v", r)
	}
	if row := stepRow(t, f); row.Status != models.StepCompleted || row.Output["response"] == nil {
		t.Errorf("log row = %+v", row)
	}
}

func TestCustomWebhookFormBody(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada+x@example.com")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	if _, err := execute(t, a, f.input(hookStep(`{"url": "`+srv.URL+`/form", "body_type": "form",
		"body": {"email": "{{contact.email}}", "amount": 12.50, "opt_in": true, "note": "a&b=c"}}`))); err != nil {
		t.Fatal(err)
	}
	got := srv.last(t)
	if got.Method != "POST" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("request = %+v", got)
	}
	form, err := url.ParseQuery(got.Body)
	if err != nil || form.Get("email") != "ada+x@example.com" || form.Get("amount") != "12.50" || form.Get("opt_in") != "true" || form.Get("note") != "a&b=c" {
		t.Errorf("form = %v (%v)", form, err)
	}
}

func TestCustomWebhookAuthTypes(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Custom: map[string]any{"token": "tok-from-contact"}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	cases := []struct {
		auth  string
		check func(s seen) bool
	}{
		{`{"type": "none"}`, func(s seen) bool { return s.Header.Get("Authorization") == "" }},
		{`{"type": "basic", "username": "api", "password": "p@ss:word"}`, func(s seen) bool {
			return s.Header.Get("Authorization") == "Basic "+base64.StdEncoding.EncodeToString([]byte("api:p@ss:word"))
		}},
		{`{"type": "bearer", "token": "{{contact.custom.token}}"}`, func(s seen) bool {
			return s.Header.Get("Authorization") == "Bearer tok-from-contact"
		}},
		{`{"type": "api_key", "key": "X-Api-Key", "value": "k-123"}`, func(s seen) bool { return s.Header.Get("X-Api-Key") == "k-123" }},
		{`{"type": "api_key", "key": "X-Api-Key", "value": "k-456", "in": "header"}`, func(s seen) bool { return s.Header.Get("X-Api-Key") == "k-456" }},
		{`{"type": "api_key", "key": "api_key", "value": "k 789/+", "in": "query"}`, func(s seen) bool {
			return s.Query.Get("api_key") == "k 789/+" && s.Header.Get("Authorization") == ""
		}},
	}
	for _, c := range cases {
		res, err := execute(t, a, f.input(hookStep(`{"method": "POST", "url": "`+srv.URL+`/a", "auth": `+c.auth+`}`)))
		if err != nil {
			t.Fatalf("%s: %v", c.auth, err)
		}
		if got := srv.last(t); !c.check(got) {
			t.Errorf("%s: headers %v, query %v", c.auth, got.Header, got.Query)
		}
		if response(t, res)["status"] != float64(200) {
			t.Errorf("%s: output = %v", c.auth, res.Output)
		}
	}
}

func TestCustomWebhookRetriesServerErrorsAndKeepsTheAttemptVisible(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	in := f.input(hookStep(`{"method": "POST", "url": "` + srv.URL + `/flaky", "body": {"x": 1}}`))
	srv.then(503, `{"error": "overloaded"}`)
	_, err := execute(t, a, in)
	if appErr := appError(t, err); appErr.NonRetryable() || !strings.Contains(err.Error(), "answered 503") {
		t.Fatalf("first attempt: %v, want a retryable 503", err)
	}
	row := stepRow(t, f)
	if row.Status != models.StepRunning || !strings.Contains(row.Error, "503") || !strings.Contains(row.Error, "overloaded") {
		t.Errorf("log row while retrying = %s %q", row.Status, row.Error)
	}
	// Temporal retrying: the same (run, step, visit) again.
	res, err := execute(t, a, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if response(t, res)["status"] != float64(200) {
		t.Errorf("output = %v", res.Output)
	}
	got := srv.requests()
	if len(got) != 2 || got[0].Header.Get("Idempotency-Key") != got[1].Header.Get("Idempotency-Key") {
		t.Errorf("requests = %+v, want two with the same Idempotency-Key", got)
	}
	if row := stepRow(t, f); row.Status != models.StepCompleted || row.Error != "" {
		t.Errorf("log row after success = %s %q", row.Status, row.Error)
	}
}

func TestRetryAfterSetsTheNextRetryDelay(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	cases := []struct {
		name, step, retryAfter string
		status                 int
		min, max               time.Duration
	}{
		{"custom 429 seconds", hookStep(`{"url": "` + srv.URL + `"}`), "7", 429, 7 * time.Second, 7 * time.Second},
		{"custom 429 date", hookStep(`{"url": "` + srv.URL + `"}`), time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat), 429, 85 * time.Second, 91 * time.Second},
		{"custom 503 seconds", hookStep(`{"url": "` + srv.URL + `"}`), "3", 503, 3 * time.Second, 3 * time.Second},
		{"plain webhook 429", `{"id": "w", "type": "webhook", "config": {"url": "` + srv.URL + `"}}`, "5", 429, 5 * time.Second, 5 * time.Second},
	}
	for _, c := range cases {
		srv.then(c.status, `slow down`, "Retry-After: "+c.retryAfter)
		_, err := execute(t, a, f.input(c.step))
		appErr := appError(t, err)
		if appErr.NonRetryable() || appErr.NextRetryDelay() < c.min || appErr.NextRetryDelay() > c.max {
			t.Errorf("%s: %v, next retry in %s, want retryable in [%s, %s]", c.name, err, appErr.NextRetryDelay(), c.min, c.max)
		}
		if !strings.Contains(err.Error(), fmt.Sprint(c.status)) || !strings.Contains(err.Error(), "Retry-After") {
			t.Errorf("%s: message %q should name the status and the Retry-After", c.name, err)
		}
	}
	// Without Retry-After the step's own backoff applies.
	srv.then(429, `slow down`)
	_, err := execute(t, a, f.input(hookStep(`{"url": "`+srv.URL+`"}`)))
	if appErr := appError(t, err); appErr.NonRetryable() || appErr.NextRetryDelay() != 0 {
		t.Errorf("429 without Retry-After: %v, delay %s", err, appErr.NextRetryDelay())
	}
}

func TestCustomWebhookClientErrorIsPermanentAndNeverRecordsSecrets(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	cases := []struct{ name, config, secret string }{
		{"bearer", `{"url": "` + srv.URL + `/x", "auth": {"type": "bearer", "token": "sk_live_bearer_SECRET"}}`, "sk_live_bearer_SECRET"},
		{"basic", `{"url": "` + srv.URL + `/x", "auth": {"type": "basic", "username": "u", "password": "basic-PASS-word"}}`, "basic-PASS-word"},
		{"api key in query", `{"url": "` + srv.URL + `/x", "auth": {"type": "api_key", "key": "key", "value": "q/SECRET+key", "in": "query"}}`, "q/SECRET+key"},
		{"api key header", `{"url": "` + srv.URL + `/x", "auth": {"type": "api_key", "key": "X-Partner", "value": "partner-SECRET"}}`, "partner-SECRET"},
		{"credential-named header", `{"url": "` + srv.URL + `/x", "headers": {"X-Api-Key": "hdr-SECRET-1"}}`, "hdr-SECRET-1"},
		{"credential-named query", `{"url": "` + srv.URL + `/x", "query": {"access_token": "qry-SECRET-2"}}`, "qry-SECRET-2"},
	}
	for _, c := range cases {
		// The server echoes everything it got, credentials included, as
		// careless APIs do in their error messages.
		srv.mu.Lock()
		srv.answers = append(srv.answers, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error": "bad credentials", "auth": %q, "headers": %q, "url": %q}`,
				r.Header.Get("Authorization"), fmt.Sprint(r.Header), r.URL.String())
		})
		srv.mu.Unlock()
		f.db.Where("1 = 1").Delete(&models.StepExecution{})
		_, err := execute(t, a, f.input(hookStep(c.config)))
		appErr := appError(t, err)
		if !appErr.NonRetryable() || !strings.Contains(err.Error(), "answered 401") || !strings.Contains(err.Error(), "bad credentials") {
			t.Errorf("%s: %v, want a permanent 401 with the body's snippet", c.name, err)
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("%s: %v, want the echoed secret shown as [redacted]", c.name, err)
		}
		row := stepRow(t, f)
		record, _ := json.Marshal(row)
		for _, leak := range []string{c.secret, url.QueryEscape(c.secret)} {
			if strings.Contains(err.Error(), leak) || strings.Contains(string(record), leak) {
				t.Errorf("%s: the secret leaked: error %q, log row %s", c.name, err, record)
			}
		}
		if !strings.Contains(row.Error, "401") {
			t.Errorf("%s: log row error = %q", c.name, row.Error)
		}
	}
}

func TestCustomWebhookOutputRedactsEchoedSecrets(t *testing.T) {
	srv := newHookServer(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	srv.answers = append(srv.answers, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		fmt.Fprintf(w, `{"you_sent": %q, "id": 7}`, r.Header.Get("Authorization"))
	})
	res, err := execute(t, a, f.input(hookStep(`{"url": "`+srv.URL+`", "auth": {"type": "bearer", "token": "tok-ECHOED"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.Output)
	record, _ := json.Marshal(stepRow(t, f))
	if strings.Contains(string(out), "tok-ECHOED") || strings.Contains(string(record), "tok-ECHOED") {
		t.Errorf("the token reached the output %s or the log %s", out, record)
	}
	if body, _ := response(t, res)["body"].(map[string]any); !strings.Contains(fmt.Sprint(body["you_sent"]), "[redacted]") || body["id"] != float64(7) {
		t.Errorf("body = %v", body)
	}
}

func TestCustomWebhookTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	start := time.Now()
	_, err := execute(t, a, f.input(hookStep(`{"url": "`+srv.URL+`/slow", "timeout": "1s"}`)))
	if appErr := appError(t, err); appErr.NonRetryable() || !strings.Contains(err.Error(), "no answer within 1s") {
		t.Fatalf("err = %v, want a retryable timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %s despite a 1s timeout", took)
	}
	if row := stepRow(t, f); !strings.Contains(row.Error, "no answer within 1s") {
		t.Errorf("log row error = %q", row.Error)
	}
}

func TestCustomWebhookRefusesPrivateAddressesByDefault(t *testing.T) {
	srv := newHookServer(t)
	su, _ := url.Parse(srv.URL)
	p := su.Port()
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs}) // AllowPrivate off, as in production
	for _, u := range []string{
		srv.URL + "/x",                            // loopback by address
		"http://localhost:" + p + "/x",            // loopback after DNS
		"http://169.254.169.254/latest/meta-data", // cloud metadata
		"http://10.1.2.3/", "http://[::1]:" + p + "/", "http://100.100.100.200/",
	} {
		_, err := execute(t, a, f.input(hookStep(`{"method": "GET", "url": "`+u+`", "timeout": "2s"}`)))
		if err == nil || !appError(t, err).NonRetryable() || !strings.Contains(err.Error(), "CRMFLOW_WEBHOOK_ALLOW_PRIVATE") {
			t.Errorf("%s: err = %v, want a permanent refusal", u, err)
		}
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("the private server received %d requests", n)
	}
}

func TestCustomWebhookRedirectDropsCredentialsForAnotherHost(t *testing.T) {
	target := newHookServer(t)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/landed", http.StatusTemporaryRedirect)
	}))
	defer origin.Close()
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, AllowPrivate: true})
	res, err := execute(t, a, f.input(hookStep(`{"url": "`+origin.URL+`/start", "headers": {"X-Api-Key": "k1", "X-Trace": "t1", "X-Carrier": "{{contact.first_name}}-SECRET"},
		"auth": {"type": "api_key", "key": "X-Carrier", "value": "carrier-SECRET"}, "body": {"a": 1}}`)))
	if err != nil {
		t.Fatal(err)
	}
	got := target.last(t)
	if got.Path != "/landed" || got.Body != `{"a":1}` || got.Header.Get("X-Trace") != "t1" {
		t.Errorf("redirected request = %+v", got)
	}
	if got.Header.Get("X-Api-Key") != "" || got.Header.Get("X-Carrier") != "" {
		t.Errorf("credentials followed the redirect to another host: %v", got.Header)
	}
	if response(t, res)["status"] != float64(200) {
		t.Errorf("output = %v", res.Output)
	}
}

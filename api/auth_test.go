package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestAuthRequired(t *testing.T) {
	v := newEnv(t)
	for _, r := range v.e.Routes() {
		if r.Path == "/healthz" || r.Path == "/readyz" || r.Path == "/openapi.json" || r.Path == "/v1/accounts" ||
			r.Path == "/metrics" { // public, like /healthz: metrics_test.go
			continue
		}
		if strings.HasPrefix(r.Path, "/v1/webhooks/") {
			continue // signed by the provider instead: webhooks_test.go
		}
		if strings.HasPrefix(r.Path, "/l/") || strings.HasPrefix(r.Path, "/v1/hooks/") || strings.HasPrefix(r.Path, "/t/") {
			continue // the secret is in the URL: trigger_links_test.go, inbound_webhooks_test.go, email_tracking_test.go
		}
		path := echoParam.ReplaceAllString(r.Path, "x")
		for _, key := range []string{"", "crm_wrong", v.key + "x"} {
			res := v.doAs(key, r.Method, path, "{}")
			p := res.problem(http.StatusUnauthorized)
			if p.Type != typeUnauthenticated {
				t.Errorf("%s %s: type %q", r.Method, path, p.Type)
			}
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", r.Method, path)
			}
		}
	}
}

func TestAuthSchemes(t *testing.T) {
	v := newEnv(t)
	v.doAs("", http.MethodGet, "/v1/contacts", nil, "Authorization", "bearer "+v.key).expect(http.StatusOK)
	v.doAs("", http.MethodGet, "/v1/contacts", nil, "Authorization", "Basic "+v.key).problem(http.StatusUnauthorized)
	v.doAs("", http.MethodGet, "/v1/contacts", nil, "Authorization", v.key).problem(http.StatusUnauthorized)
	v.doAs("", http.MethodGet, "/v1/contacts", nil, "Authorization", "Bearer ").problem(http.StatusUnauthorized)
}

// TestTenantIsolation: every route that names a resource answers 404 for
// another account's, exactly as for a missing one, and changes nothing;
// lists never show another account's rows.
func TestTenantIsolation(t *testing.T) {
	v := newEnv(t)
	// The other account's world.
	theirContact := v.createContactAs(v.otherKey, map[string]any{"first_name": "Theirs", "email": "t@example.com", "tags": []string{"x"}})["id"].(string)
	theirWF := v.publishedWorkflowAs(v.otherKey, "Theirs")
	theirEnr := v.doAs(v.otherKey, http.MethodPost, "/v1/workflows/"+theirWF+"/enrollments", map[string]any{"contact_id": theirContact}).
		expect(http.StatusCreated).obj()["id"].(string)
	v.doAs(v.otherKey, http.MethodPost, "/v1/events", map[string]any{"id": "e1", "type": "contact_tag_added",
		"contact": map[string]any{"id": theirContact}, "data": map[string]any{"tag": "lead"}}).expect(http.StatusAccepted)
	v.seedMessage(v.other.ID, theirContact, "sms")
	// Ours.
	ourContact := v.createContact(map[string]any{"first_name": "Ours"})["id"].(string)
	ourWF := v.publishedWorkflowAs(v.key, "Ours")
	theirRecords := v.seedRecordsAs(v.otherKey, theirContact)
	theirRecords["trigger-links"] = v.doAs(v.otherKey, http.MethodPost, "/v1/trigger-links",
		map[string]any{"name": "Theirs", "destination_url": "https://example.com"}).expect(http.StatusCreated).obj()["id"].(string)

	bodies := map[string]any{
		"PATCH /v1/contacts/:id":             map[string]any{"first_name": "Hacked"},
		"POST /v1/contacts/:id/tags":         map[string]any{"tags": []string{"hacked"}},
		"PUT /v1/workflows/:id":              simpleWorkflow("Hacked"),
		"POST /v1/workflows/:id/enrollments": map[string]any{"contact_id": ourContact},
		"POST /v1/workflows/:id/test":        map[string]any{"contact_id": ourContact},
	}
	tested := 0
	for _, r := range v.e.Routes() {
		if !strings.Contains(r.Path, ":id") {
			continue
		}
		var id string
		switch {
		case strings.HasPrefix(r.Path, "/v1/contacts/"):
			id = theirContact
		case strings.HasPrefix(r.Path, "/v1/workflows/"):
			id = theirWF
		case strings.HasPrefix(r.Path, "/v1/enrollments/"):
			id = theirEnr
		case theirRecords[strings.Split(r.Path, "/")[2]] != "":
			id = theirRecords[strings.Split(r.Path, "/")[2]] // users, notes, tasks, pipelines...: records_test.go
		default:
			t.Fatalf("route %s %s: which resource does it name? Add it to this test", r.Method, r.Path)
		}
		path := strings.NewReplacer(":id", id, ":tag", "x", ":version", "1").Replace(r.Path)
		body, ok := bodies[r.Method+" "+r.Path]
		if !ok && r.Method != http.MethodGet {
			body = "{}"
		}
		v.do(r.Method, path, body).problem(http.StatusNotFound)
		tested++
	}
	if tested < 13 {
		t.Fatalf("only %d routes with ids tested", tested)
	}

	// Their ids inside our requests are 404 too.
	wantPaths(t, v.do(http.MethodPost, "/v1/workflows/"+ourWF+"/enrollments", map[string]any{"contact_id": theirContact}).
		problem(http.StatusNotFound), "contact_id")
	wantPaths(t, v.do(http.MethodPost, "/v1/workflows/"+ourWF+"/test", map[string]any{"contact_id": theirContact}).
		problem(http.StatusNotFound), "contact_id")
	wantPaths(t, v.do(http.MethodPost, "/v1/events", map[string]any{"id": "e1", "type": "x", "contact": map[string]any{"id": theirContact}}).
		problem(http.StatusNotFound), "contact.id")

	// Nothing of theirs changed.
	c := v.doAs(v.otherKey, http.MethodGet, "/v1/contacts/"+theirContact, nil).expect(http.StatusOK).obj()
	if c["first_name"] != "Theirs" || len(c["tags"].([]any)) != 1 {
		t.Fatalf("their contact changed: %v", c)
	}
	w := v.doAs(v.otherKey, http.MethodGet, "/v1/workflows/"+theirWF, nil).expect(http.StatusOK).obj()
	if w["name"] != "Theirs" || w["status"] != "published" || w["version"] != 1.0 {
		t.Fatalf("their workflow changed: %v", w)
	}
	e := v.doAs(v.otherKey, http.MethodGet, "/v1/enrollments/"+theirEnr, nil).expect(http.StatusOK).obj()
	if e["status"] == "exited" {
		t.Fatalf("their enrollment was cancelled: %v", e)
	}

	// Lists show only our rows.
	theirIDs := map[string]bool{theirContact: true, theirWF: true, theirEnr: true}
	for _, id := range theirRecords {
		theirIDs[id] = true
	}
	for _, path := range []string{"/v1/contacts", "/v1/workflows", "/v1/events", "/v1/messages",
		"/v1/contacts?email=t@example.com", "/v1/contacts?tag=x", "/v1/contacts?q=theirs",
		"/v1/events?contact_id=" + theirContact, "/v1/messages?contact_id=" + theirContact,
		"/v1/workflows/" + ourWF + "/enrollments?contact_id=" + theirContact,
		"/v1/users", "/v1/pipelines", "/v1/opportunities?contact_id=" + theirContact, "/v1/appointments?contact_id=" + theirContact} {
		body := string(v.do(http.MethodGet, path, nil).expect(http.StatusOK).Body)
		for id := range theirIDs {
			if strings.Contains(body, id) {
				t.Errorf("GET %s shows the other account's %s: %s", path, id, body)
			}
		}
		if strings.Contains(body, v.other.ID) {
			t.Errorf("GET %s mentions the other account", path)
		}
	}
	var msgs List[MessageAnswer]
	v.do(http.MethodGet, "/v1/messages", nil).expect(http.StatusOK).decode(&msgs)
	if len(msgs.Items) != 0 {
		t.Fatalf("we see %d messages of theirs", len(msgs.Items))
	}
}

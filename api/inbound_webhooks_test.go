package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/models"
)

// hookWorkflow creates a workflow with one inbound_webhook trigger (config
// may be nil) and returns its id and the trigger's webhook path.
func (v *testEnv) hookWorkflow(name string, config map[string]any, publish bool) (string, string) {
	v.t.Helper()
	trig := map[string]any{"id": "hook", "type": "inbound_webhook"}
	if config != nil {
		trig["config"] = config
	}
	def := map[string]any{"name": name, "triggers": []any{trig}, "start": "s1",
		"steps": []any{map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": "Hi {{event.lead.name}}"}}}}
	wf := v.createWorkflowAs(v.key, def)
	id := wf["id"].(string)
	if publish {
		wf = v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK).obj()
	}
	return id, hookPath(v.t, wf)
}

func hookPath(t *testing.T, wf map[string]any) string {
	t.Helper()
	trig := wf["triggers"].([]any)[0].(map[string]any)
	u, err := url.Parse(fmt.Sprint(trig["webhook_url"]))
	if err != nil || !strings.HasPrefix(u.Path, "/v1/hooks/") || len(u.Path) < len("/v1/hooks/")+43 {
		t.Fatalf("webhook_url = %v", trig["webhook_url"])
	}
	return u.Path
}

func (v *testEnv) enrolledIn(contactID string) []string {
	var wfs []string
	v.db.Model(&models.Enrollment{}).Where("contact_id = ?", contactID).Order("id").Pluck("workflow_id", &wfs)
	return wfs
}

func (v *testEnv) samples(wf string) []WebhookSampleAnswer {
	v.t.Helper()
	var list List[WebhookSampleAnswer]
	v.do(http.MethodGet, "/v1/workflows/"+wf+"/triggers/hook/samples", nil).expect(http.StatusOK).decode(&list)
	return list.Items
}

func TestInboundWebhookCreatesUpdatesAndEnrollsOnlyItsWorkflow(t *testing.T) {
	v := newEnv(t)
	a, hookA := v.hookWorkflow("A", map[string]any{"mapping": map[string]any{"first_name": "lead.name", "custom.plan": "plan",
		"phone": "contact.numbers[0]"}}, true)
	b, hookB := v.hookWorkflow("B", nil, true)
	if hookA == hookB {
		t.Fatal("two triggers share a URL")
	}
	// A GET of the workflow shows the same URL; a list too.
	if got := hookPath(t, v.do(http.MethodGet, "/v1/workflows/"+a, nil).expect(http.StatusOK).obj()); got != hookA {
		t.Errorf("GET shows %s, save showed %s", got, hookA)
	}

	var got EventAccepted
	v.doAs("", http.MethodPost, hookA, `{"email": "ADA@example.com", "lead": {"name": "Ada"}, "plan": "gold",
		"contact": {"numbers": ["(415) 555-0123"]}}`).expect(http.StatusAccepted).decode(&got)
	var c models.Contact
	v.db.First(&c, "id = ?", got.ContactID)
	if c.Email != "ada@example.com" || c.FirstName != "Ada" || c.Phone != "+14155550123" || c.Custom["plan"] != "gold" || c.AccountID != v.acct.ID {
		t.Fatalf("contact = %+v", c)
	}
	if len(got.Enrollments) != 1 || got.Enrollments[0].WorkflowID != a {
		t.Fatalf("answer = %+v; want one enrollment into A", got)
	}
	var ev models.Event
	v.db.First(&ev, "id = ?", got.EventID)
	if ev.Type != "inbound_webhook" || ev.Data["plan"] != "gold" || ev.Data["lead"].(map[string]any)["name"] != "Ada" {
		t.Errorf("event data is not the payload as received: %+v", ev.Data)
	}

	// The same person again, through B (no mapping: the payload's own
	// fields), updates the contact and enrolls into B only.
	v.doAs("", http.MethodPut, hookB, `{"email": "ada@example.com", "last_name": "Lovelace"}`).expect(http.StatusAccepted).decode(&got)
	if n := count[models.Contact](t, v.db); n != 1 {
		t.Fatalf("%d contacts, want the one updated", n)
	}
	v.db.First(&c, "id = ?", got.ContactID)
	if c.LastName != "Lovelace" || c.FirstName != "Ada" {
		t.Errorf("updated contact = %+v", c)
	}
	if wfs := v.enrolledIn(c.ID); len(wfs) != 2 || wfs[0] != a || wfs[1] != b {
		t.Errorf("enrolled in %v, want [A B]", wfs)
	}

	// GET with query parameters, found by phone, enrolls nobody new (no re-entry).
	v.doAs("", http.MethodGet, hookB+"?phone=%2B14155550123&first_name=Augusta", nil).expect(http.StatusAccepted).decode(&got)
	if got.ContactID != c.ID || len(got.Enrollments) != 0 {
		t.Errorf("GET = %+v", got)
	}
	// A new person through A enrolls into A and nothing else.
	v.doAs("", http.MethodPost, hookA, map[string]any{"email": "grace@example.com"}).expect(http.StatusAccepted).decode(&got)
	if wfs := v.enrolledIn(got.ContactID); len(wfs) != 1 || wfs[0] != a {
		t.Errorf("new contact enrolled in %v, want [A]", wfs)
	}

	// An Idempotency-Key makes a retried delivery one event.
	var first, again EventAccepted
	v.doAs("", http.MethodPost, hookA, map[string]any{"email": "k@example.com"}, "Idempotency-Key", "d-1").expect(http.StatusAccepted).decode(&first)
	v.doAs("", http.MethodPost, hookA, map[string]any{"email": "k@example.com"}, "Idempotency-Key", "d-1").expect(http.StatusAccepted).decode(&again)
	if first.EventID != again.EventID || len(again.Enrollments) != 1 {
		t.Errorf("repeat = %+v, first = %+v", again, first)
	}
	// The same key with another payload is refused, not silently swallowed.
	p := v.doAs("", http.MethodPost, hookA, map[string]any{"email": "other@example.com"}, "Idempotency-Key", "d-1").problem(http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || p.Errors[0].Path != "Idempotency-Key" {
		t.Errorf("reused key: %+v, want it named by the header", p.Errors)
	}

	// Samples: every request, with its event and contact; the refused repeat last.
	s := v.samples(a)
	if len(s) != 4 || s[3].Status != "rejected" || s[0].Status != "accepted" || s[0].Payload["plan"] != "gold" || s[0].EventID == nil || s[0].ContactID == nil {
		t.Errorf("samples = %+v", s)
	}
	// Another account sees none of it.
	v.doAs(v.otherKey, http.MethodGet, "/v1/workflows/"+a+"/triggers/hook/samples", nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodPost, "/v1/workflows/"+a+"/triggers/hook/rotate-webhook", nil).problem(http.StatusNotFound)
	v.do(http.MethodGet, "/v1/workflows/"+a+"/triggers/nope/samples", nil).problem(http.StatusNotFound)
	// A key too long to keep is named by the header too.
	p = v.doAs("", http.MethodPost, hookA, map[string]any{"email": "k@example.com"}, "Idempotency-Key", strings.Repeat("k", 201)).problem(http.StatusBadRequest)
	wantPaths(t, p, "Idempotency-Key")
}

func TestInboundWebhookRejectionsAreAnsweredAndKept(t *testing.T) {
	v := newEnv(t)
	wf, hook := v.hookWorkflow("A", nil, true)
	cases := []struct {
		method, body string
		status       int
		reason       string
	}{
		{http.MethodPost, `{"email": "ada@example.com",`, http.StatusBadRequest, "malformed JSON"},
		{http.MethodPost, `["ada@example.com"]`, http.StatusUnprocessableEntity, "must be a JSON object"},
		{http.MethodPost, `{"name": "Ada"}`, http.StatusUnprocessableEntity, "neither an email nor a phone"},
		{http.MethodPost, `{"email": "not-an-email"}`, http.StatusUnprocessableEntity, "email"},
		{http.MethodPost, `{"email": "a@example.com", "pad": "` + strings.Repeat("x", 300<<10) + `"}`, http.StatusRequestEntityTooLarge, "256 KiB"},
		{http.MethodGet, ``, http.StatusUnprocessableEntity, "neither an email nor a phone"},
	}
	for _, c := range cases {
		var body any
		if c.body != "" {
			body = c.body
		}
		p := v.doAs("", c.method, hook, body).problem(c.status)
		if !strings.Contains(p.Detail, c.reason) {
			t.Errorf("%s %.40s: detail %q, want it to say %q", c.method, c.body, p.Detail, c.reason)
		}
	}
	s := v.samples(wf)
	if len(s) != len(cases) {
		t.Fatalf("%d samples, want %d", len(s), len(cases))
	}
	for i, c := range cases {
		if s[i].Status != "rejected" || s[i].HTTPStatus != c.status || !strings.Contains(s[i].Reason, c.reason) {
			t.Errorf("sample %d = %+v, want rejected %d with %q", i, s[i], c.status, c.reason)
		}
	}
	if s[0].Raw == nil || !strings.HasPrefix(*s[0].Raw, `{"email"`) || s[0].Payload != nil {
		t.Errorf("bad JSON sample keeps %+v", s[0])
	}
	if s[4].Raw == nil || len(*s[4].Raw) > 2048 {
		t.Errorf("oversize sample keeps %d characters", len(*s[4].Raw))
	}
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Errorf("%d contacts created by rejected payloads", n)
	}

	// Only the last 20 are kept.
	for i := 0; i < 25; i++ {
		v.doAs("", http.MethodPost, hook, `{}`).problem(http.StatusUnprocessableEntity)
	}
	if n := len(v.samples(wf)); n != 20 {
		t.Errorf("%d samples kept, want 20", n)
	}
}

func TestInboundWebhookDraftRotationAndValidation(t *testing.T) {
	v := newEnv(t)
	draft, hook := v.hookWorkflow("Draft", nil, false)
	p := v.doAs("", http.MethodPost, hook, `{"email": "ada@example.com"}`).problem(http.StatusConflict)
	if !strings.Contains(p.Detail, "draft") {
		t.Errorf("draft detail = %q", p.Detail)
	}
	if s := v.samples(draft); len(s) != 1 || s[0].Status != "rejected" || s[0].Payload["email"] != "ada@example.com" {
		t.Errorf("draft samples = %+v (kept to map from)", s)
	}
	if n := count[models.Contact](t, v.db); n != 0 || len(v.startedRuns()) != 0 {
		t.Errorf("a draft's hook created %d contacts and started %d runs", n, len(v.startedRuns()))
	}
	// Published, it works; drafted again, it stops.
	v.do(http.MethodPost, "/v1/workflows/"+draft+"/publish", nil).expect(http.StatusOK)
	v.doAs("", http.MethodPost, hook, `{"email": "ada@example.com"}`).expect(http.StatusAccepted)
	v.do(http.MethodPost, "/v1/workflows/"+draft+"/draft", nil).expect(http.StatusOK)
	v.doAs("", http.MethodPost, hook, `{"email": "ada@example.com"}`).problem(http.StatusConflict)
	v.do(http.MethodPost, "/v1/workflows/"+draft+"/publish", nil).expect(http.StatusOK)

	// Rotation: the new URL works, the old one is gone.
	var rot WebhookAnswer
	v.do(http.MethodPost, "/v1/workflows/"+draft+"/triggers/hook/rotate-webhook", nil).expect(http.StatusOK).decode(&rot)
	u, _ := url.Parse(rot.WebhookURL)
	if u.Path == hook || rot.RotatedAt == nil {
		t.Fatalf("rotation answered %+v", rot)
	}
	v.doAs("", http.MethodPost, hook, `{"email": "ada@example.com"}`).problem(http.StatusNotFound)
	v.doAs("", http.MethodPost, u.Path, `{"email": "ada@example.com"}`).expect(http.StatusAccepted)
	wfAnswer := v.do(http.MethodGet, "/v1/workflows/"+draft, nil).expect(http.StatusOK).obj()
	if hookPath(t, wfAnswer) != u.Path {
		t.Errorf("the workflow still shows the old URL")
	}
	// A GET answer, webhook_url and all, can be sent back.
	v.do(http.MethodPut, "/v1/workflows/"+draft, wfAnswer).expect(http.StatusOK)
	v.doAs("", http.MethodPost, "/v1/hooks/"+strings.Repeat("A", 43), `{"email": "ada@example.com"}`).problem(http.StatusNotFound)

	// Mapping targets and paths are checked on save.
	p = v.do(http.MethodPost, "/v1/workflows", map[string]any{"name": "bad", "start": "s1",
		"triggers": []any{map[string]any{"id": "t1", "type": "inbound_webhook", "config": map[string]any{"mapping": map[string]any{
			"favourite_color": "color", "custom.plan": "plan", "email": "", "custom.a b": "x"}}}},
		"steps": []any{map[string]any{"id": "s1", "type": "end"}}}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "triggers[0].config.mapping.favourite_color", "triggers[0].config.mapping.email", "triggers[0].config.mapping.custom.a b")
	for _, e := range p.Errors {
		if e.Path == "triggers[0].config.mapping.custom.plan" {
			t.Errorf("custom.plan is a valid target: %v", e)
		}
	}
	p = v.do(http.MethodPost, "/v1/workflows", map[string]any{"name": "bad", "start": "s1",
		"triggers": []any{map[string]any{"id": "t1", "type": "inbound_webhook", "config": map[string]any{"mapping": map[string]any{"email": 3}}}},
		"steps":    []any{map[string]any{"id": "s1", "type": "end"}}}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "triggers[0].config.mapping.email")
}

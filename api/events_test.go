package api

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

func TestIngestEventEnrolls(t *testing.T) {
	v := newEnv(t)
	wf := v.publishedWorkflowAs(v.key, "Leads")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	body := map[string]any{"id": "evt-1", "type": "contact_tag_added", "contact": map[string]any{"id": ct},
		"data": map[string]any{"tag": "lead"}, "occurred_at": "2025-03-01T10:00:00+01:00"}

	var got EventAccepted
	v.do(http.MethodPost, "/v1/events", body).expect(http.StatusAccepted).decode(&got)
	if got.EventID == "" || got.ContactID != ct || len(got.Enrollments) != 1 || got.Enrollments[0].WorkflowID != wf {
		t.Fatalf("answer = %+v", got)
	}
	var ev models.Event
	v.db.First(&ev, "id = ?", got.EventID)
	if ev.ExternalID != "evt-1" || !ev.OccurredAt.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) || ev.RoutedAt == nil {
		t.Fatalf("stored event = %+v", ev)
	}

	// The same id again is the same event: same answer, nothing new.
	var again EventAccepted
	v.do(http.MethodPost, "/v1/events", body).expect(http.StatusAccepted).decode(&again)
	if !reflect.DeepEqual(again, got) {
		t.Fatalf("repeat = %+v\nwant %+v", again, got)
	}
	if n := count[models.Event](t, v.db, "external_id = ?", "evt-1"); n != 1 {
		t.Fatalf("%d events stored for one id", n)
	}
	if runs := v.startedRuns(); len(runs) != 1 {
		t.Fatalf("%d runs started", len(runs))
	}

	// A non-matching event starts nothing.
	var none EventAccepted
	v.do(http.MethodPost, "/v1/events", map[string]any{"id": "evt-2", "type": "contact_tag_added",
		"contact": map[string]any{"id": ct}, "data": map[string]any{"tag": "customer"}}).expect(http.StatusAccepted).decode(&none)
	if len(none.Enrollments) != 0 || none.EventID == got.EventID {
		t.Fatalf("non-matching event = %+v", none)
	}
}

func TestIngestEventFindsOrCreatesContact(t *testing.T) {
	v := newEnv(t)
	byEmail := v.createContact(map[string]any{"email": "ada@example.com"})["id"].(string)
	byPhone := v.createContact(map[string]any{"phone": "+14155550123"})["id"].(string)
	theirs := v.createContactAs(v.otherKey, map[string]any{"email": "new@example.com"})["id"].(string)

	post := func(id string, contact map[string]any) string {
		t.Helper()
		var got EventAccepted
		v.do(http.MethodPost, "/v1/events", map[string]any{"id": id, "type": "form_submitted", "contact": contact}).
			expect(http.StatusAccepted).decode(&got)
		return got.ContactID
	}
	if got := post("e1", map[string]any{"email": "ADA@example.com"}); got != byEmail {
		t.Errorf("by email: contact %s, want %s", got, byEmail)
	}
	if got := post("e2", map[string]any{"phone": "(415) 555-0123"}); got != byPhone {
		t.Errorf("by phone: contact %s, want %s", got, byPhone)
	}
	if got := post("e3", map[string]any{"email": "nobody@example.com", "phone": "(415) 555-0123"}); got != byPhone {
		t.Errorf("unknown email, known phone: contact %s, want %s", got, byPhone)
	}
	created := post("e4", map[string]any{"email": "new@example.com", "phone": "+1 415 555 0199"})
	if created == "" || created == theirs {
		t.Fatalf("created contact %q (the other account's is %s)", created, theirs)
	}
	c := v.do(http.MethodGet, "/v1/contacts/"+created, nil).expect(http.StatusOK).obj()
	if c["email"] != "new@example.com" || c["phone"] != "+14155550199" {
		t.Fatalf("created contact = %v", c)
	}
	if n := count[models.Event](t, v.db, "contact_id = ? AND type = ?", created, "contact_created"); n != 1 {
		t.Fatalf("creating the contact raised %d contact_created events", n)
	}
}

func TestIngestEventBadInput(t *testing.T) {
	v := newEnv(t)
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	theirs := v.createContactAs(v.otherKey, map[string]any{"first_name": "Bob"})["id"].(string)
	ok := func() map[string]any {
		return map[string]any{"id": "e1", "type": "form_submitted", "contact": map[string]any{"id": ct}}
	}
	with := func(k string, val any) map[string]any {
		b := ok()
		if val == nil {
			delete(b, k)
		} else {
			b[k] = val
		}
		return b
	}
	cases := []struct {
		name string
		body any
		path []string
	}{
		{"missing id", with("id", nil), []string{"id"}},
		{"empty id", with("id", " "), []string{"id"}},
		{"numeric id", with("id", 12), []string{"id"}},
		{"missing type", with("type", nil), []string{"type"}},
		{"camel-case type", with("type", "FormSubmitted"), []string{"type"}},
		{"type with spaces", with("type", "form submitted"), []string{"type"}},
		{"missing contact", with("contact", nil), []string{"contact"}},
		{"empty contact", with("contact", map[string]any{}), []string{"contact"}},
		{"contact by name", with("contact", map[string]any{"name": "Ada"}), []string{"contact.name"}},
		{"bad occurred_at", with("occurred_at", "yesterday"), []string{"occurred_at"}},
		{"data not an object", with("data", []any{1}), []string{"data"}},
		{"unknown field", with("source", "zapier"), []string{"source"}},
		{"bad phone", with("contact", map[string]any{"phone": "12"}), []string{"contact.phone"}},
		{"bad email", with("contact", map[string]any{"email": "nope"}), []string{"contact.email"}},
		{"all at once", map[string]any{"type": "A B"}, []string{"id", "type", "contact"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantPaths(t, v.do(http.MethodPost, "/v1/events", tc.body).problem(http.StatusUnprocessableEntity), tc.path...)
		})
	}
	v.do(http.MethodPost, "/v1/events", `{"id": "e1",`).problem(http.StatusBadRequest)
	// Another account's contact, or none, is 404 naming contact.id.
	for _, id := range []string{theirs, "nope"} {
		wantPaths(t, v.do(http.MethodPost, "/v1/events", with("contact", map[string]any{"id": id})).problem(http.StatusNotFound), "contact.id")
	}
	if n := count[models.Event](t, v.db, "external_id = ?", "e1"); n != 0 {
		t.Fatalf("%d events stored from bad input", n)
	}
}

func TestListEvents(t *testing.T) {
	v := newEnv(t)
	v.publishedWorkflowAs(v.key, "Leads")
	a := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	b := v.createContact(map[string]any{"first_name": "Bob"})["id"].(string)
	var accepted EventAccepted
	v.do(http.MethodPost, "/v1/events", map[string]any{"id": "e1", "type": "contact_tag_added", "contact": map[string]any{"id": a},
		"data": map[string]any{"tag": "lead"}}).expect(http.StatusAccepted).decode(&accepted)

	var l List[EventAnswer]
	v.do(http.MethodGet, "/v1/events?contact_id="+a, nil).expect(http.StatusOK).decode(&l)
	// contact_created (raised by the API) and the ingested event, oldest first.
	if len(l.Items) != 2 || l.Items[0].Type != "contact_created" || l.Items[1].ID != accepted.EventID {
		t.Fatalf("events of a = %+v", l.Items)
	}
	ing := l.Items[1]
	if ing.ExternalID != "e1" || ing.Data["tag"] != "lead" || ing.RoutedAt == nil || len(ing.Enrollments) != 1 ||
		ing.Enrollments[0].ID != accepted.Enrollments[0].ID {
		t.Fatalf("ingested event = %+v", ing)
	}
	v.do(http.MethodGet, "/v1/events?contact_id="+b+"&type=contact_tag_added", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 0 {
		t.Fatalf("filtered events = %+v", l.Items)
	}
	v.do(http.MethodGet, "/v1/events", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 3 {
		t.Fatalf("%d events in total; want 3", len(l.Items))
	}
}

func TestEventIDReusedForAnotherTypeConflicts(t *testing.T) {
	v := newEnv(t)
	body := map[string]any{"id": "ev-1", "type": "form_submitted", "contact": map[string]any{"email": "x@example.com"}, "data": map[string]any{}}
	v.do(http.MethodPost, "/v1/events", body).expect(http.StatusAccepted)
	if res := v.do(http.MethodPost, "/v1/events", body).expect(http.StatusAccepted); res.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a repeat is not marked replayed")
	}
	body["type"] = "order_submitted"
	p := v.do(http.MethodPost, "/v1/events", body).problem(http.StatusConflict)
	if p.Type != typeConflict || len(p.Errors) != 1 || p.Errors[0].Path != "id" {
		t.Errorf("reused id: %+v, want a conflict naming id", p)
	}
	if n := count[models.Event](t, v.db, "external_id = ?", "ev-1"); n != 1 {
		t.Fatalf("%d events stored for one id", n)
	}
}

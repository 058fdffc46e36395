package app

import (
	"fmt"
	"testing"
	"time"
)

// TestEveryTriggerEnrollsFromItsSource raises each record and API trigger
// type from the source a user would use (an API call on the record, or
// POST /v1/events for what comes from elsewhere) on the embedded server and
// sees the published workflow enroll the contact and run to completion.
// Trigger links, inbound webhooks, Twilio and Stripe webhooks and the
// schedule triggers have their own end-to-end tests beside this one.
func TestEveryTriggerEnrollsFromItsSource(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()

	type id struct {
		ID string `json:"id"`
	}
	var pipeline struct {
		ID     string `json:"id"`
		Stages []id   `json:"stages"`
	}
	if code := call(t, d, "POST", "/v1/pipelines", map[string]any{"name": "Sales",
		"stages": []any{map[string]any{"name": "New"}, map[string]any{"name": "Proposal"}}}, &pipeline); code != 201 || len(pipeline.Stages) != 2 {
		t.Fatalf("creating pipeline: %d %+v", code, pipeline)
	}
	mustCall := func(method, path string, body any, want int) id {
		t.Helper()
		var out id
		if code := call(t, d, method, path, body, &out); code != want {
			t.Fatalf("%s %s: %d, want %d", method, path, code, want)
		}
		return out
	}
	event := func(typ, email string, data map[string]any) {
		t.Helper()
		mustCall("POST", "/v1/events", map[string]any{"id": typ + "-" + email, "type": typ,
			"contact": map[string]any{"email": email}, "data": data}, 202)
	}
	opportunity := func(contact string) string {
		return mustCall("POST", "/v1/opportunities", map[string]any{"contact_id": contact, "pipeline_id": pipeline.ID, "name": "Deal"}, 201).ID
	}
	appointment := func(contact string) string {
		return mustCall("POST", "/v1/appointments", map[string]any{"contact_id": contact, "calendar_id": "cal-1",
			"start_time": "2026-12-10T15:00:00Z", "end_time": "2026-12-10T15:30:00Z"}, 201).ID
	}
	cases := []struct {
		trigger string
		filter  map[string]any
		raise   func(contact, email string)
	}{
		// the contact each case creates raises contact_created itself
		{"contact_created", leaf("contact.email", "is", "contact0@example.com"), func(string, string) {}},
		{"contact_tag_added", leaf("event.tag", "is", "vip"), func(c, _ string) {
			mustCall("POST", "/v1/contacts/"+c+"/tags", map[string]any{"tags": []string{"vip"}}, 200)
		}},
		{"contact_tag_removed", leaf("event.tag", "is", "prospect"), func(c, _ string) {
			mustCall("DELETE", "/v1/contacts/"+c+"/tags/prospect", nil, 200)
		}},
		{"contact_changed", leaf("event.after.custom.plan", "is", "gold"), func(c, _ string) {
			mustCall("PATCH", "/v1/contacts/"+c, map[string]any{"custom": map[string]any{"plan": "gold"}}, 200)
		}},
		{"contact_dnd_changed", leaf("event.channel", "is", "email"), func(c, _ string) {
			mustCall("PATCH", "/v1/contacts/"+c, map[string]any{"dnd": map[string]any{"email": true}}, 200)
		}},
		{"note_added", nil, func(c, _ string) { mustCall("POST", "/v1/contacts/"+c+"/notes", map[string]any{"body": "called"}, 201) }},
		{"task_added", leaf("event.title", "contains", "call"), func(c, _ string) {
			mustCall("POST", "/v1/contacts/"+c+"/tasks", map[string]any{"title": "call back"}, 201)
		}},
		{"task_completed", nil, func(c, _ string) {
			task := mustCall("POST", "/v1/contacts/"+c+"/tasks", map[string]any{"title": "send quote"}, 201)
			mustCall("PATCH", "/v1/tasks/"+task.ID, map[string]any{"completed": true}, 200)
		}},
		{"opportunity_created", leaf("event.pipeline_id", "is", pipeline.ID), func(c, _ string) { opportunity(c) }},
		{"opportunity_status_changed", leaf("event.status", "is", "won"), func(c, _ string) {
			mustCall("PATCH", "/v1/opportunities/"+opportunity(c), map[string]any{"status": "won"}, 200)
		}},
		{"pipeline_stage_changed", leaf("event.stage_id", "is", pipeline.Stages[1].ID), func(c, _ string) {
			mustCall("PATCH", "/v1/opportunities/"+opportunity(c), map[string]any{"stage_id": pipeline.Stages[1].ID}, 200)
		}},
		{"appointment_booked", leaf("event.calendar_id", "is", "cal-1"), func(c, _ string) { appointment(c) }},
		{"appointment_status_changed", leaf("event.status", "is", "showed"), func(c, _ string) {
			mustCall("PATCH", "/v1/appointments/"+appointment(c), map[string]any{"status": "showed"}, 200)
		}},
		{"form_submitted", leaf("event.form_id", "is", "f1"), func(_, e string) { event("form_submitted", e, map[string]any{"form_id": "f1"}) }},
		{"survey_submitted", nil, func(_, e string) { event("survey_submitted", e, map[string]any{"survey_id": "s1"}) }},
		{"order_submitted", nil, func(_, e string) { event("order_submitted", e, map[string]any{"order_id": "o1"}) }},
		{"payment_received", leaf("event.currency", "is", "usd"), func(_, e string) {
			event("payment_received", e, map[string]any{"amount": "49.00", "currency": "USD"})
		}},
		{"invoice_paid", nil, func(_, e string) { event("invoice_paid", e, map[string]any{"amount": "10", "currency": "eur"}) }},
		{"subscription_changed", leaf("event.status", "is", "active"), func(_, e string) {
			event("subscription_changed", e, map[string]any{"amount": "5", "currency": "usd", "status": "active"})
		}},
		{"customer_replied", leaf("event.body", "contains", "yes"), func(_, e string) {
			event("customer_replied", e, map[string]any{"channel": "email", "body": "Yes please"})
		}},
		{"email_event", leaf("event.event", "is", "clicked"), func(_, e string) {
			event("email_event", e, map[string]any{"event": "clicked", "message_id": "m1", "url": "https://example.com"})
		}},
	}
	for i, c := range cases {
		trig := map[string]any{"id": "t1", "type": c.trigger}
		if c.filter != nil {
			trig["filters"] = c.filter
		}
		wf := mustCall("POST", "/v1/workflows", map[string]any{"name": c.trigger, "triggers": []any{trig}, "start": "s1",
			"steps": []any{map[string]any{"id": "s1", "type": "add_tag", "config": map[string]any{"tags": []string{"via-" + c.trigger}}}}}, 201)
		mustCall("POST", "/v1/workflows/"+wf.ID+"/publish", nil, 200)
		email := fmt.Sprintf("contact%d@example.com", i)
		contact := mustCall("POST", "/v1/contacts", map[string]any{"first_name": "C", "email": email, "tags": []string{"prospect"}}, 201)
		c.raise(contact.ID, email)

		var list struct {
			Items []enrollmentView `json:"items"`
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(list.Items) == 0 && time.Now().Before(deadline) {
			call(t, d, "GET", "/v1/workflows/"+wf.ID+"/enrollments?contact_id="+contact.ID, nil, &list)
			time.Sleep(50 * time.Millisecond)
		}
		if len(list.Items) != 1 {
			t.Errorf("%s: %d enrollments, want 1", c.trigger, len(list.Items))
			continue
		}
		waitFor(t, d, list.Items[0].ID, "completed")
	}
}

func leaf(field, op string, value any) map[string]any {
	return map[string]any{"all": []any{map[string]any{"field": field, "op": op, "value": value}}}
}

package api

import (
	"net/http"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestIngestEventDataShapes(t *testing.T) {
	v := newEnv(t)
	ct := v.createContact(map[string]any{"email": "ada@example.com"})["id"].(string)
	post := func(id, typ string, data map[string]any) *result {
		return v.do(http.MethodPost, "/v1/events", map[string]any{"id": id, "type": typ,
			"contact": map[string]any{"id": ct}, "data": data})
	}
	bad := []struct {
		typ   string
		data  map[string]any
		paths []string
	}{
		{"email_event", map[string]any{}, []string{"data.event"}},
		{"email_event", map[string]any{"event": "read"}, []string{"data.event"}},
		{"email_event", map[string]any{"event": "opened", "url": 3}, []string{"data.url"}},
		{"customer_replied", map[string]any{"body": "yes"}, []string{"data.channel"}},
		{"customer_replied", map[string]any{"channel": "pigeon", "body": 1}, []string{"data.channel", "data.body"}},
		{"payment_received", map[string]any{}, []string{"data.amount", "data.currency"}},
		{"invoice_paid", map[string]any{"amount": "49,00", "currency": "dollars"}, []string{"data.amount", "data.currency"}},
		{"subscription_changed", map[string]any{"amount": "10", "currency": "usd"}, []string{"data.status"}},
		{"contact_tag_added", map[string]any{}, []string{"data.tag"}},
		{"appointment_booked", map[string]any{"appointment_id": " "}, []string{"data.appointment_id"}},
		{"contact_dnd_changed", map[string]any{"channel": "sms"}, []string{"data.dnd"}},
		{"contact_changed", map[string]any{"changed": []any{1}}, []string{"data.changed[0]"}},
	}
	for i, tc := range bad {
		p := post("bad-"+string(rune('a'+i)), tc.typ, tc.data).problem(http.StatusUnprocessableEntity)
		wantPaths(t, p, tc.paths...)
	}
	if n := count[models.Event](t, v.db, "external_id LIKE ?", "bad-%"); n != 0 {
		t.Fatalf("%d events stored from bad data", n)
	}

	// Good data is normalised: amounts become decimal strings, currencies
	// lower case, and a payment's status defaults to its type's.
	var got EventAccepted
	post("pay-1", "payment_received", map[string]any{"amount": 49.5, "currency": "USD", "order": "A-1"}).
		expect(http.StatusAccepted).decode(&got)
	ev := loadEvent(t, v, got.EventID)
	if ev.Data["amount"] != "49.5" || ev.Data["currency"] != "usd" || ev.Data["status"] != "succeeded" || ev.Data["order"] != "A-1" {
		t.Fatalf("stored data = %v", ev.Data)
	}
	post("inv-1", "invoice_paid", map[string]any{"amount": "120.00", "currency": "eur"}).expect(http.StatusAccepted).decode(&got)
	if ev := loadEvent(t, v, got.EventID); ev.Data["status"] != "paid" || ev.Data["amount"] != "120.00" {
		t.Fatalf("stored data = %v", ev.Data)
	}
	post("mail-1", "email_event", map[string]any{"event": "clicked", "url": "https://x.test", "message_id": "m1"}).expect(http.StatusAccepted)
	post("form-1", "form_submitted", map[string]any{"anything": []any{1, "goes"}}).expect(http.StatusAccepted)
	post("custom-1", "my_own_event", nil).expect(http.StatusAccepted)
}

func TestIngestEventContactCreation(t *testing.T) {
	v := newEnv(t)
	known := v.createContact(map[string]any{"email": "ada@example.com", "phone": "+14155550123"})["id"].(string)
	post := func(id, typ string, contact, data map[string]any) *result {
		return v.do(http.MethodPost, "/v1/events", map[string]any{"id": id, "type": typ, "contact": contact, "data": data})
	}
	reply := map[string]any{"channel": "email", "body": "yes"}
	// A reply or an email event of someone unknown is refused: they never got anything from us.
	wantPaths(t, post("r1", "customer_replied", map[string]any{"email": "new@example.com"}, reply).
		problem(http.StatusUnprocessableEntity), "contact")
	wantPaths(t, post("m1", "email_event", map[string]any{"phone": "+14155550199"}, map[string]any{"event": "opened"}).
		problem(http.StatusUnprocessableEntity), "contact")
	if n := count[models.Contact](t, v.db, "account_id = ?", v.acct.ID); n != 1 {
		t.Fatalf("%d contacts: a refused event created one", n)
	}
	// ... and accepted for a known one, by email or phone.
	var got EventAccepted
	post("r2", "customer_replied", map[string]any{"email": "ADA@example.com"}, reply).expect(http.StatusAccepted).decode(&got)
	if got.ContactID != known {
		t.Fatalf("reply contact %s, want %s", got.ContactID, known)
	}
	post("m2", "email_event", map[string]any{"phone": "(415) 555-0123"}, map[string]any{"event": "bounced"}).
		expect(http.StatusAccepted).decode(&got)
	if got.ContactID != known {
		t.Fatalf("email event contact %s, want %s", got.ContactID, known)
	}
	// Forms, surveys, orders and payments create their contact.
	for i, typ := range []string{"form_submitted", "survey_submitted", "order_submitted"} {
		post("c"+typ, typ, map[string]any{"email": "new" + string(rune('0'+i)) + "@example.com"}, nil).expect(http.StatusAccepted).decode(&got)
		if got.ContactID == known || got.ContactID == "" {
			t.Fatalf("%s: contact %q", typ, got.ContactID)
		}
	}
	post("p1", "payment_received", map[string]any{"email": "payer@example.com"},
		map[string]any{"amount": "10.00", "currency": "usd"}).expect(http.StatusAccepted).decode(&got)
	if c := v.do(http.MethodGet, "/v1/contacts/"+got.ContactID, nil).expect(http.StatusOK).obj(); c["email"] != "payer@example.com" {
		t.Fatalf("created contact = %v", c)
	}
}

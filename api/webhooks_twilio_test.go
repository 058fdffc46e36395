package api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/crmflow/crmflow/models"
)

// An inbound text is kept as an inbound message of its contact, once per
// MessageSid (Twilio's retries, even after the event was pruned); a
// customer_replied posted to /v1/events stores none.
func TestTwilioInboundSMSKeptAsMessage(t *testing.T) {
	v := newWebhookEnv(t)
	ct := v.createContact(map[string]any{"first_name": "Ada", "phone": "+14155550123"})["id"].(string)
	inbox := func(query string) []MessageAnswer {
		t.Helper()
		var l List[MessageAnswer]
		v.do(http.MethodGet, "/v1/messages?contact_id="+ct+query, nil).expect(http.StatusOK).decode(&l)
		return l.Items
	}

	form := inboundSMS("SM100", "+1 (415) 555-0123", "Yes please!")
	v.twilio(v.acct.ID, "sms", testTwilioToken, form).expect(http.StatusOK)
	v.twilio(v.acct.ID, "sms", testTwilioToken, form).expect(http.StatusOK) // Twilio retries
	got := inbox("")
	if len(got) != 1 {
		t.Fatalf("%d messages after the same SMS twice: %+v", len(got), got)
	}
	m := got[0]
	if m.Direction != "inbound" || m.Channel != "sms" || m.From != "+14155550123" || m.To != "+14155550000" ||
		m.Body != "Yes please!" || m.Status != "received" || m.Provider != "twilio" || m.ProviderID != "SM100" ||
		m.ContactID != ct || m.EnrollmentID != "" || m.StepID != "" {
		t.Fatalf("message = %+v", m)
	}

	// Retention pruned the event; a late retry still stores the text once.
	if err := v.db.Where("external_id = ?", "SM100").Delete(&models.Event{}).Error; err != nil {
		t.Fatal(err)
	}
	v.twilio(v.acct.ID, "sms", testTwilioToken, form).expect(http.StatusOK)
	if n := count[models.Message](t, v.db, "provider_id = ?", "SM100"); n != 1 {
		t.Fatalf("%d messages for SM100 after a retry of a pruned event", n)
	}

	// Opt-out keywords are texts of the conversation too.
	v.twilio(v.acct.ID, "sms", testTwilioToken, inboundSMS("SM101", "+14155550123", "STOP")).expect(http.StatusOK)
	if got := inbox("&direction=inbound"); len(got) != 2 || got[1].Body != "STOP" || got[1].ProviderID != "SM101" {
		t.Fatalf("inbound messages = %+v", got)
	}

	// The user's own reply event is only an event.
	v.do(http.MethodPost, "/v1/events", map[string]any{"id": "reply-1", "type": "customer_replied",
		"contact": map[string]any{"id": ct}, "data": map[string]any{"channel": "sms", "body": "posted"}}).expect(http.StatusAccepted)
	if n := count[models.Message](t, v.db, "contact_id = ?", ct); n != 2 {
		t.Fatalf("%d messages after a posted customer_replied, want 2", n)
	}

	// A status callback never names an inbound text: not ours, 404, unchanged.
	v.twilio(v.acct.ID, "status", testTwilioToken, url.Values{"MessageSid": {"SM100"}, "MessageStatus": {"delivered"}}).
		problem(http.StatusNotFound)
	if got := inbox(""); got[0].Status != "received" {
		t.Fatalf("a status callback changed an inbound message: %+v", got[0])
	}
}

package api

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/crmflow/crmflow/models"
)

const (
	testTwilioToken  = "twiliotoken123"
	testStripeSecret = "whsec_test_secret"
	testPublicURL    = "https://crm.example.com"
)

// newWebhookEnv is a test API with the providers' secrets configured, whose
// mock Temporal also takes the signals routing sends to running enrollments.
func newWebhookEnv(t *testing.T) *testEnv {
	v := newEnv(t, func(o *Options) {
		o.TwilioAuthToken, o.StripeWebhookSecret, o.PublicURL = testTwilioToken, testStripeSecret, testPublicURL
	})
	v.temporal.On("SignalWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	return v
}

// twilioSignature signs as Twilio does: base64 HMAC-SHA1 with the auth
// token of the URL followed by each POST parameter's name and value, sorted.
func twilioSignature(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// stripeSignature builds a Stripe-Signature header as Stripe does.
func stripeSignature(secret string, at time.Time, payload []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
	return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

// post sends a raw provider call (no API key) and checks the answer against openapi.yaml.
func (v *testEnv) post(path, contentType string, body []byte, hdr ...string) *result {
	v.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	r := &result{t: v.t, req: "POST " + path, Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkAgainstSpec(v.t, http.MethodPost, path, body, r)
	return r
}

// twilio posts a form to a Twilio webhook of the account, signed with token ("" unsigned).
func (v *testEnv) twilio(acct, hook, token string, form url.Values) *result {
	v.t.Helper()
	path := "/v1/webhooks/twilio/" + acct + "/" + hook
	var hdr []string
	if token != "" {
		hdr = []string{"X-Twilio-Signature", twilioSignature(token, testPublicURL+path, form)}
	}
	return v.post(path, "application/x-www-form-urlencoded", []byte(form.Encode()), hdr...)
}

func inboundSMS(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"AC1"}, "From": {from},
		"To": {"+14155550000"}, "Body": {body}, "NumMedia": {"0"}}
}

func replyWorkflow(name string, stop bool) map[string]any {
	return map[string]any{
		"name":     name,
		"settings": map[string]any{"stop_on_response": stop},
		"triggers": []any{map[string]any{"id": "t1", "type": "customer_replied",
			"filters": map[string]any{"all": []any{
				map[string]any{"field": "event.channel", "op": "is", "value": "sms"},
				map[string]any{"field": "event.body", "op": "contains", "value": "yes"}}}}},
		"start": "s1",
		"steps": []any{map[string]any{"id": "s1", "type": "add_tag", "config": map[string]any{"tags": []any{"replied-yes"}}}},
	}
}

func (v *testEnv) publish(def map[string]any) string {
	v.t.Helper()
	id := v.createWorkflowAs(v.key, def)["id"].(string)
	v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK)
	return id
}

func TestTwilioInboundSMSRaisesReply(t *testing.T) {
	v := newWebhookEnv(t)
	wf := v.publish(replyWorkflow("Replies", false))

	r := v.twilio(v.acct.ID, "sms", testTwilioToken, inboundSMS("SM100", "+1 (415) 555-0123", "Yes please!"))
	r.expect(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") || !strings.Contains(string(r.Body), "<Response/>") {
		t.Fatalf("answer %q: %s", ct, r.Body)
	}
	var ct models.Contact
	if err := v.db.Where("account_id = ? AND phone = ?", v.acct.ID, "+14155550123").First(&ct).Error; err != nil {
		t.Fatalf("the unknown sender was not created as a contact: %v", err)
	}
	var ev models.Event
	if err := v.db.Where("account_id = ? AND type = ?", v.acct.ID, "customer_replied").First(&ev).Error; err != nil {
		t.Fatal(err)
	}
	d := ev.Data
	if ev.ExternalID != "SM100" || ev.ContactID != ct.ID || d["channel"] != "sms" || d["body"] != "Yes please!" ||
		d["message_id"] != "SM100" || d["from"] != "+14155550123" || d["to"] != "+14155550000" || ev.RoutedAt == nil {
		t.Fatalf("event = %+v", ev)
	}
	if len(ev.Enrollments) != 1 {
		t.Fatalf("the reply started %d enrollments", len(ev.Enrollments))
	}
	var l List[EventAnswer]
	v.do(http.MethodGet, "/v1/events?type=customer_replied&contact_id="+ct.ID, nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 1 || len(l.Items[0].Enrollments) != 1 || l.Items[0].Enrollments[0].WorkflowID != wf {
		t.Fatalf("events list = %+v", l.Items)
	}

	// Twilio retries with the same MessageSid: one event, one enrollment.
	v.twilio(v.acct.ID, "sms", testTwilioToken, inboundSMS("SM100", "+14155550123", "Yes please!")).expect(http.StatusOK)
	if n := count[models.Event](t, v.db, "type = ?", "customer_replied"); n != 1 {
		t.Fatalf("%d reply events after a retry", n)
	}
	// A reply that does not match the filter is recorded and enrolls nobody.
	v.twilio(v.acct.ID, "sms", testTwilioToken, inboundSMS("SM101", "+14155550123", "no")).expect(http.StatusOK)
	if n := count[models.Enrollment](t, v.db, "workflow_id = ?", wf); n != 1 {
		t.Fatalf("%d enrollments", n)
	}
	if runs := v.startedRuns(); len(runs) != 1 {
		t.Fatalf("%d runs started", len(runs))
	}
}

func TestTwilioSignatureRefused(t *testing.T) {
	v := newWebhookEnv(t)
	form := inboundSMS("SM200", "+14155550123", "STOP")
	path := "/v1/webhooks/twilio/" + v.acct.ID + "/sms"
	good := twilioSignature(testTwilioToken, testPublicURL+path, form)
	tampered := inboundSMS("SM200", "+14155550199", "STOP")
	cases := map[string]*result{
		"unsigned":      v.twilio(v.acct.ID, "sms", "", form),
		"other token":   v.twilio(v.acct.ID, "sms", "othertoken", form),
		"tampered body": v.post(path, "application/x-www-form-urlencoded", []byte(tampered.Encode()), "X-Twilio-Signature", good),
		// Signed for another URL: the request's own host, not the public URL.
		"other url": v.post(path, "application/x-www-form-urlencoded", []byte(form.Encode()),
			"X-Twilio-Signature", twilioSignature(testTwilioToken, "http://example.com"+path, form)),
		"other account's url": v.post("/v1/webhooks/twilio/"+v.other.ID+"/sms", "application/x-www-form-urlencoded",
			[]byte(form.Encode()), "X-Twilio-Signature", good),
		"status, unsigned": v.twilio(v.acct.ID, "status", "", url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"failed"}}),
	}
	for name, r := range cases {
		if p := r.problem(http.StatusUnauthorized); p.Type != typeBadSignature {
			t.Errorf("%s: problem %+v", name, p)
		}
	}
	if n := count[models.Event](t, v.db, "account_id IN ?", []string{v.acct.ID, v.other.ID}); n != 0 {
		t.Fatalf("refused calls recorded %d events", n)
	}
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Fatalf("refused calls created %d contacts", n)
	}

	// Without TWILIO_AUTH_TOKEN nothing can be verified: refused, even signed with "".
	off := newEnv(t)
	off.twilio(off.acct.ID, "sms", "", form).problem(http.StatusUnauthorized)
	off.post(path, "application/x-www-form-urlencoded", []byte(form.Encode()),
		"X-Twilio-Signature", twilioSignature("", testPublicURL+path, form)).problem(http.StatusUnauthorized)

	// Signed, but the account does not exist; or the form lacks what a message has.
	v.twilio("no-such-account", "sms", testTwilioToken, form).problem(http.StatusNotFound)
	wantPaths(t, v.twilio(v.acct.ID, "sms", testTwilioToken, url.Values{"Body": {"hi"}}).problem(http.StatusUnprocessableEntity),
		"MessageSid", "From")
	wantPaths(t, v.twilio(v.acct.ID, "sms", testTwilioToken, inboundSMS("SM201", "12", "hi")).problem(http.StatusUnprocessableEntity), "From")
	v.post(path, "application/json", []byte(`{}`), "X-Twilio-Signature", good).problem(http.StatusUnsupportedMediaType)
}

func TestTwilioSignatureWithoutPublicURL(t *testing.T) {
	v := newEnv(t, func(o *Options) { o.TwilioAuthToken = testTwilioToken })
	form := inboundSMS("SM300", "+14155550123", "hello")
	path := "/v1/webhooks/twilio/" + v.acct.ID + "/sms"
	// httptest requests arrive at http://example.com: that is the URL signed.
	v.post(path, "application/x-www-form-urlencoded", []byte(form.Encode()),
		"X-Twilio-Signature", twilioSignature(testTwilioToken, "http://example.com"+path, form)).expect(http.StatusOK)
	if n := count[models.Event](t, v.db, "external_id = ?", "SM300"); n != 1 {
		t.Fatalf("%d events", n)
	}
}

func TestTwilioStopAndStartSetSMSDND(t *testing.T) {
	v := newWebhookEnv(t)
	ct := v.createContact(map[string]any{"first_name": "Ada", "phone": "+14155550123"})["id"].(string)
	dnd := func() map[string]any {
		return v.do(http.MethodGet, "/v1/contacts/"+ct, nil).expect(http.StatusOK).obj()["dnd"].(map[string]any)
	}
	steps := []struct {
		sid, body string
		sms       bool
	}{
		{"SM1", "Stop", true},
		{"SM2", "HELP", true}, // no special handling
		{"SM3", "start", false},
		{"SM4", "please stop texting me", false}, // not the whole message
		{"SM5", " UNSUBSCRIBE ", true},
		{"SM6", "unstop", false},
		{"SM7", "STOPALL", true},
	}
	for _, s := range steps {
		v.twilio(v.acct.ID, "sms", testTwilioToken, inboundSMS(s.sid, "+14155550123", s.body)).expect(http.StatusOK)
		if got := dnd(); got["sms"] != s.sms || got["email"] != false {
			t.Fatalf("after %q: dnd = %v, want sms %v", s.body, got, s.sms)
		}
	}
	// Every message, keywords too, is a reply event of the same contact.
	if n := count[models.Event](t, v.db, "contact_id = ? AND type = ?", ct, "customer_replied"); n != int64(len(steps)) {
		t.Fatalf("%d reply events, want %d", n, len(steps))
	}
	// The opt-out went through the contact service, which raised its change.
	if n := count[models.Event](t, v.db, "contact_id = ? AND type IN ?", ct, []string{"contact_changed", "contact_dnd_changed"}); n == 0 {
		t.Fatal("setting DND raised no contact event")
	}
}

func TestTwilioStatusCallbackUpdatesMessage(t *testing.T) {
	v := newWebhookEnv(t)
	msg := func(acct, sid string) string {
		m := models.Message{ID: models.NewID(), AccountID: acct, ContactID: "c", Channel: "sms", To: "+14155550123",
			Body: "hi", Status: models.MessageSent, Provider: "twilio", ProviderID: sid}
		if err := v.db.Create(&m).Error; err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	status := func(id string) (string, string) {
		var m models.Message
		v.db.First(&m, "id = ?", id)
		return m.Status, m.Error
	}
	ok := msg(v.acct.ID, "SMok")
	bad := msg(v.acct.ID, "SMbad")
	theirs := msg(v.other.ID, "SMtheirs")
	cb := func(sid, st string, extra ...string) *result {
		f := url.Values{"MessageSid": {sid}, "MessageStatus": {st}, "AccountSid": {"AC1"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return v.twilio(v.acct.ID, "status", testTwilioToken, f)
	}
	cb("SMok", "delivered").expect(http.StatusNoContent)
	if s, _ := status(ok); s != models.MessageDelivered {
		t.Fatalf("status %s, want delivered", s)
	}
	// A late "sent" does not undo "delivered".
	cb("SMok", "sent").expect(http.StatusNoContent)
	if s, _ := status(ok); s != models.MessageDelivered {
		t.Fatalf("a late callback moved the message back to %s", s)
	}
	cb("SMbad", "undelivered", "ErrorCode", "30003", "ErrorMessage", "Unreachable destination handset").expect(http.StatusNoContent)
	if s, e := status(bad); s != models.MessageUndelivered || e != "twilio error 30003: Unreachable destination handset" {
		t.Fatalf("status %s, error %q", s, e)
	}
	// Another account's message is not found through this account's URL.
	cb("SMtheirs", "failed").problem(http.StatusNotFound)
	if s, _ := status(theirs); s != models.MessageSent {
		t.Fatalf("another account's message became %s", s)
	}
	wantPaths(t, cb("SMok", "received").problem(http.StatusUnprocessableEntity), "MessageStatus")
	wantPaths(t, v.twilio(v.acct.ID, "status", testTwilioToken, url.Values{"MessageSid": {"SMok"}}).problem(http.StatusUnprocessableEntity), "MessageStatus")
	// The message list shows the delivery status.
	var l List[map[string]any]
	v.do(http.MethodGet, "/v1/messages?contact_id=c", nil).expect(http.StatusOK).decode(&l)
	if len(l.Items) != 2 {
		t.Fatalf("messages = %v", l.Items)
	}
}

// stripe posts a Stripe event signed with secret ("" unsigned).
func (v *testEnv) stripe(acct, secret string, payload string) *result {
	v.t.Helper()
	var hdr []string
	if secret != "" {
		hdr = []string{"Stripe-Signature", stripeSignature(secret, time.Now(), []byte(payload))}
	}
	return v.post("/v1/webhooks/stripe/"+acct, "application/json", []byte(payload), hdr...)
}

func TestStripeEventsRaisePaymentEvents(t *testing.T) {
	v := newWebhookEnv(t)
	wf := v.publish(map[string]any{"name": "Big payments",
		"triggers": []any{map[string]any{"id": "t1", "type": "payment_received",
			"filters": map[string]any{"field": "event.amount", "op": "gte", "value": 40}}},
		"start": "s1",
		"steps": []any{map[string]any{"id": "s1", "type": "add_tag", "config": map[string]any{"tags": []any{"paid"}}}}})

	pi := `{"id": "evt_pi_1", "object": "event", "type": "payment_intent.succeeded", "created": 1700000000,
		"data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 4900, "amount_received": 4900,
		"currency": "usd", "status": "succeeded", "customer": "cus_A", "receipt_email": "ada@example.com"}}}`
	var got StripeAnswer
	v.stripe(v.acct.ID, testStripeSecret, pi).expect(http.StatusOK).decode(&got)
	if got.Result != "accepted" || got.ContactID == "" || len(got.Enrollments) != 1 || got.Enrollments[0].WorkflowID != wf {
		t.Fatalf("answer = %+v", got)
	}
	c := v.do(http.MethodGet, "/v1/contacts/"+got.ContactID, nil).expect(http.StatusOK).obj()
	if c["email"] != "ada@example.com" || c["stripe_customer_id"] != "cus_A" {
		t.Fatalf("contact = %v", c)
	}
	ev := loadEvent(t, v, got.EventID)
	if ev.Type != "payment_received" || ev.ExternalID != "evt_pi_1" || ev.Data["amount"] != "49.00" ||
		ev.Data["currency"] != "usd" || ev.Data["status"] != "succeeded" || ev.Data["id"] != "pi_1" ||
		!ev.OccurredAt.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("event = %+v", ev)
	}

	// Stripe retries: the same event id is one event.
	var again StripeAnswer
	v.stripe(v.acct.ID, testStripeSecret, pi).expect(http.StatusOK).decode(&again)
	if again.Result != "duplicate" || again.EventID != got.EventID || len(again.Enrollments) != 1 {
		t.Fatalf("retry = %+v", again)
	}
	if n := count[models.Event](t, v.db, "external_id = ?", "evt_pi_1"); n != 1 {
		t.Fatalf("%d events for one Stripe event", n)
	}

	// A subscription names only the customer: the same contact.
	sub := `{"id": "evt_sub_1", "type": "customer.subscription.deleted", "data": {"object": {"id": "sub_1",
		"object": "subscription", "customer": "cus_A", "currency": "eur", "status": "canceled",
		"items": {"data": [{"price": {"unit_amount": 1250}, "quantity": 2}]}}}}`
	var s StripeAnswer
	v.stripe(v.acct.ID, testStripeSecret, sub).expect(http.StatusOK).decode(&s)
	ev = loadEvent(t, v, s.EventID)
	if s.Result != "accepted" || s.ContactID != got.ContactID || ev.Type != "subscription_changed" ||
		ev.Data["amount"] != "25.00" || ev.Data["status"] != "canceled" || ev.Data["stripe_event_type"] != "customer.subscription.deleted" {
		t.Fatalf("subscription: %+v, event %+v", s, ev)
	}

	// An invoice of an existing contact known by email links the customer.
	bob := v.createContact(map[string]any{"email": "bob@example.com"})["id"].(string)
	inv := `{"id": "evt_in_1", "type": "invoice.paid", "data": {"object": {"id": "in_1", "object": "invoice",
		"amount_paid": 500, "currency": "jpy", "status": "paid", "customer": "cus_B", "customer_email": "Bob@Example.com"}}}`
	v.stripe(v.acct.ID, testStripeSecret, inv).expect(http.StatusOK).decode(&s)
	ev = loadEvent(t, v, s.EventID)
	if s.ContactID != bob || ev.Type != "invoice_paid" || ev.Data["amount"] != "500" {
		t.Fatalf("invoice: %+v, event %+v", s, ev)
	}
	if c := v.do(http.MethodGet, "/v1/contacts/"+bob, nil).expect(http.StatusOK).obj(); c["stripe_customer_id"] != "cus_B" {
		t.Fatalf("the contact was not linked to its customer: %v", c)
	}
	// A small charge raises payment_received but does not pass the filter.
	ch := `{"id": "evt_ch_1", "type": "charge.succeeded", "data": {"object": {"id": "ch_1", "object": "charge",
		"amount": 999, "currency": "usd", "status": "succeeded", "customer": "cus_B"}}}`
	v.stripe(v.acct.ID, testStripeSecret, ch).expect(http.StatusOK).decode(&s)
	if s.Result != "accepted" || s.ContactID != bob || len(s.Enrollments) != 0 {
		t.Fatalf("charge: %+v", s)
	}

	// Types crmflow does not use, and objects naming nobody, are acknowledged and dropped.
	for _, p := range []string{
		`{"id": "evt_x", "type": "customer.created", "data": {"object": {"id": "cus_C"}}}`,
		`{"id": "evt_y", "type": "charge.succeeded", "data": {"object": {"id": "ch_2", "amount": 100, "currency": "usd", "status": "succeeded"}}}`,
	} {
		v.stripe(v.acct.ID, testStripeSecret, p).expect(http.StatusOK).decode(&s)
		if s.Result != "ignored" || s.Reason == "" {
			t.Fatalf("%s: %+v", p, s)
		}
	}
	if n := count[models.Event](t, v.db, "external_id IN ?", []string{"evt_x", "evt_y"}); n != 0 {
		t.Fatalf("ignored events recorded: %d", n)
	}
}

func TestStripeSignatureRefused(t *testing.T) {
	v := newWebhookEnv(t)
	payload := `{"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1", "amount_paid": 100,
		"currency": "usd", "status": "paid", "customer_email": "x@example.com"}}}`
	path := "/v1/webhooks/stripe/" + v.acct.ID
	cases := map[string]*result{
		"unsigned":     v.stripe(v.acct.ID, "", payload),
		"other secret": v.stripe(v.acct.ID, "whsec_other", payload),
		"stale": v.post(path, "application/json", []byte(payload),
			"Stripe-Signature", stripeSignature(testStripeSecret, time.Now().Add(-time.Hour), []byte(payload))),
		"tampered": v.post(path, "application/json", []byte(strings.Replace(payload, "100", "1", 1)),
			"Stripe-Signature", stripeSignature(testStripeSecret, time.Now(), []byte(payload))),
		"garbage header": v.post(path, "application/json", []byte(payload), "Stripe-Signature", "t=1,v1=zz"),
	}
	for name, r := range cases {
		if p := r.problem(http.StatusUnauthorized); p.Type != typeBadSignature {
			t.Errorf("%s: %+v", name, p)
		}
	}
	off := newEnv(t)
	off.stripe(off.acct.ID, "", payload).problem(http.StatusUnauthorized)
	off.stripe(off.acct.ID, "anything", payload).problem(http.StatusUnauthorized)
	if n := count[models.Event](t, v.db, "type = ?", "invoice_paid"); n != 0 {
		t.Fatalf("refused calls recorded %d events", n)
	}
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Fatalf("refused calls created %d contacts", n)
	}
	// Signed but not a Stripe event, or for no account.
	v.stripe(v.acct.ID, testStripeSecret, `{"nope": true}`).problem(http.StatusBadRequest)
	v.stripe(v.acct.ID, testStripeSecret, `{"id": "evt_2", "type": "invoice.paid", "data": {}}`).problem(http.StatusBadRequest)
	v.stripe("no-such-account", testStripeSecret, payload).problem(http.StatusNotFound)
}

func loadEvent(t *testing.T, v *testEnv, id string) models.Event {
	t.Helper()
	var ev models.Event
	if err := v.db.First(&ev, "id = ?", id).Error; err != nil {
		t.Fatalf("loading event %s: %v", id, err)
	}
	return ev
}

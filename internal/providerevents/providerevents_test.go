package providerevents

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/money"
)

func TestMajorUnits(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{4900, "usd", "49.00"}, {5, "eur", "0.05"}, {123456, "USD", "1234.56"}, {-250, "gbp", "-2.50"},
		{500, "jpy", "500"}, {0, "krw", "0"}, {12345, "kwd", "12.345"}, {7, "bhd", "0.007"},
	} {
		if got := money.MajorUnits(tc.minor, tc.currency); got != tc.want {
			t.Errorf("MajorUnits(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestKeyword(t *testing.T) {
	for body, want := range map[string][2]bool{
		"STOP": {true, false}, " stop ": {true, false}, "Stop.": {true, false}, "StopAll": {true, false},
		"unsubscribe": {true, false}, "CANCEL": {true, false}, "end": {true, false}, "Quit": {true, false},
		"START": {false, true}, "unstop": {false, true}, "HELP": {false, false},
		"please stop": {false, false}, "stop it": {false, false}, "": {false, false},
	} {
		out, in := Keyword(body)
		if out != want[0] || in != want[1] {
			t.Errorf("Keyword(%q) = %v, %v; want %v", body, out, in, want)
		}
	}
}

func TestMessageStatusNeverGoesBack(t *testing.T) {
	for tw, want := range map[string]string{"queued": "queued", "accepted": "queued", "sending": "queued", "sent": "sent",
		"delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed", "canceled": "failed"} {
		if got, ok := MessageStatus(tw); !ok || got != want {
			t.Errorf("MessageStatus(%q) = %q, %v; want %q", tw, got, ok, want)
		}
	}
	if _, ok := MessageStatus("received"); ok {
		t.Error("an inbound status maps to an outbound one")
	}
	if !(StatusRank("sending") < StatusRank("sent") && StatusRank("sent") < StatusRank("delivered") &&
		StatusRank("delivered") == StatusRank("failed") && StatusRank("recorded") == 0) {
		t.Error("status ranks out of order")
	}
	if got := StatusError("30003", "Unreachable destination handset"); got != "twilio error 30003: Unreachable destination handset" {
		t.Errorf("StatusError = %q", got)
	}
}

// twilioSign computes X-Twilio-Signature as Twilio documents it, without twilio-go.
func twilioSign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestVerifyTwilio(t *testing.T) {
	const u = "https://crm.example.com/v1/webhooks/twilio/acct/sms"
	form := url.Values{"From": {"+14155550123"}, "Body": {"yes"}, "MessageSid": {"SM1"}}
	sig := twilioSign("tok", u, form)
	if !VerifyTwilio("tok", u, form, sig) {
		t.Fatal("a correct signature was refused")
	}
	if !VerifyTwilio("tok", "https://crm.example.com:443/v1/webhooks/twilio/acct/sms", form, sig) {
		t.Error("the same URL with its default port was refused")
	}
	tampered := url.Values{"From": {"+14155550123"}, "Body": {"no"}, "MessageSid": {"SM1"}}
	for name, ok := range map[string]bool{
		"other token":  VerifyTwilio("other", u, form, sig),
		"other URL":    VerifyTwilio("tok", u+"x", form, sig),
		"other body":   VerifyTwilio("tok", u, tampered, sig),
		"no signature": VerifyTwilio("tok", u, form, ""),
		"no token":     VerifyTwilio("", u, form, twilioSign("", u, form)),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func stripeHeader(secret string, at time.Time, payload []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
	return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

func TestVerifyStripe(t *testing.T) {
	payload := []byte(`{"id":"evt_1","type":"invoice.paid"}`)
	if err := VerifyStripe(payload, stripeHeader("whsec_x", time.Now(), payload), "whsec_x"); err != nil {
		t.Fatalf("a correct signature was refused: %v", err)
	}
	for name, h := range map[string]string{
		"other secret": stripeHeader("whsec_y", time.Now(), payload),
		"too old":      stripeHeader("whsec_x", time.Now().Add(-10*time.Minute), payload),
		"garbage":      "nonsense",
		"missing":      "",
	} {
		if err := VerifyStripe(payload, h, "whsec_x"); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if err := VerifyStripe(payload, stripeHeader("", time.Now(), payload), ""); !errors.Is(err, ErrBadSignature) {
		t.Errorf("no secret configured: err = %v", err)
	}
}

func TestParseStripe(t *testing.T) {
	cases := []struct {
		name, payload, typ, amount, currency, status, customer, email string
	}{
		{"payment intent", `{"id":"evt_1","type":"payment_intent.succeeded","created":1700000000,"data":{"object":
			{"id":"pi_1","object":"payment_intent","amount":4900,"amount_received":4900,"currency":"usd","status":"succeeded",
			 "customer":"cus_1","receipt_email":"Ada@Example.com"}}}`, "payment_received", "49.00", "usd", "succeeded", "cus_1", "ada@example.com"},
		{"charge in yen", `{"id":"evt_2","type":"charge.succeeded","data":{"object":
			{"id":"ch_1","amount":500,"currency":"jpy","status":"succeeded","customer":null,"billing_details":{"email":"bob@example.com"}}}}`,
			"payment_received", "500", "jpy", "succeeded", "", "bob@example.com"},
		{"invoice", `{"id":"evt_3","type":"invoice.paid","data":{"object":
			{"id":"in_1","amount_due":12345,"amount_paid":12345,"currency":"eur","status":"paid","customer":{"id":"cus_2","email":"c@example.com"}}}}`,
			"invoice_paid", "123.45", "eur", "paid", "cus_2", "c@example.com"},
		{"subscription", `{"id":"evt_4","type":"customer.subscription.updated","data":{"object":
			{"id":"sub_1","currency":"usd","status":"active","customer":"cus_3","items":{"data":[
			 {"price":{"unit_amount":1500},"quantity":2},{"plan":{"amount":999}}]}},"previous_attributes":{"status":"trialing"}}}`,
			"subscription_changed", "39.99", "usd", "active", "cus_3", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ParseStripe([]byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			d := ev.Data
			if ev.Type != tc.typ || d["amount"] != tc.amount || d["currency"] != tc.currency || d["status"] != tc.status ||
				ev.CustomerID != tc.customer || ev.Email != tc.email {
				t.Fatalf("got %s amount=%v currency=%v status=%v customer=%q email=%q", ev.Type, d["amount"], d["currency"],
					d["status"], ev.CustomerID, ev.Email)
			}
			if d["id"] == nil || d["stripe_event_type"] == nil {
				t.Errorf("the provider's object is not kept: %v", d)
			}
		})
	}
	ev, _ := ParseStripe([]byte(cases[0].payload))
	if ev.Data["amount_minor"] != int64(4900) || !ev.OccurredAt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("amount_minor=%v occurred=%v", ev.Data["amount_minor"], ev.OccurredAt)
	}
	sub, _ := ParseStripe([]byte(cases[3].payload))
	if prev, _ := sub.Data["previous_attributes"].(map[string]any); prev["status"] != "trialing" {
		t.Errorf("previous_attributes = %v", sub.Data["previous_attributes"])
	}
	other, err := ParseStripe([]byte(`{"id":"evt_9","type":"customer.created","data":{"object":{}}}`))
	if err != nil || other.Type != "" {
		t.Errorf("an unused Stripe type: %+v, %v", other, err)
	}
	for _, bad := range []string{`{`, `{"type":"invoice.paid"}`, `{"id":"evt_1","type":"invoice.paid","data":{}}`} {
		if _, err := ParseStripe([]byte(bad)); err == nil {
			t.Errorf("ParseStripe(%s) succeeded", bad)
		}
	}
}

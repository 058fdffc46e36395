package activities_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/activities/payments"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/testservers"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// stripeFixture is a contact with a Stripe customer, and activities talking
// to stripe-mock through a proxy that records every request.
type stripeFixture struct {
	*fixture
	proxy *testservers.StripeProxy
	acts  *activities.Activities
}

func newStripeFixture(t *testing.T, in contacts.Input) *stripeFixture {
	t.Helper()
	mock := testservers.NewStripeMock(t)
	proxy := testservers.NewStripeProxy(t, mock.URL)
	st, err := payments.NewStripe(payments.StripeOptions{APIKey: "sk_test_crmflow", BaseURL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, in)
	return &stripeFixture{fixture: f, proxy: proxy, acts: activities.New(activities.Options{DB: f.db, Contacts: f.cs, Payments: st})}
}

// permanentError reports whether err is a step failure that Temporal will not retry.
func permanentError(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.NonRetryable()
}

func TestStripeChargeConfirmsOffSessionWithTheCustomersCardThroughStripeMock(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	in := f.input(`{"id": "pay", "type": "stripe_charge", "config": {"amount": "{{event.amount}}", "currency": "{{event.currency}}", "description": "Plan for {{contact.first_name}}"}}`)
	in.Event = &workflows.Event{Type: "order_submitted", Data: map[string]any{"amount": "49.00", "currency": "USD"}}
	res, err := execute(t, f.acts, in)
	if err != nil {
		t.Fatal(err)
	}
	charge, _ := res.Output["charge"].(map[string]any)
	if id, _ := charge["id"].(string); !strings.HasPrefix(id, "pi_") || charge["amount"] != "49.00" || charge["currency"] != "usd" ||
		charge["amount_minor"] != float64(4900) || charge["status"] == "" {
		t.Errorf("output = %v", res.Output)
	}
	// No default payment method on stripe-mock's customer: its first card is used.
	if got := f.proxy.Requests("GET", "/v1/customers/cus_ada"); len(got) != 2 || !strings.HasSuffix(got[1].Path, "/payment_methods") || got[1].Form.Get("type") != "card" {
		t.Errorf("customer reads = %+v", got)
	}
	intents := f.proxy.Requests("POST", "/v1/payment_intents")
	if len(intents) != 1 {
		t.Fatalf("payment intents created = %d", len(intents))
	}
	form := intents[0].Form
	for k, want := range map[string]string{
		"amount": "4900", "currency": "usd", "customer": "cus_ada", "confirm": "true", "off_session": "true",
		"description": "Plan for Ada", "metadata[crmflow_step_id]": "pay", "metadata[crmflow_enrollment_id]": "enr1",
		"metadata[crmflow_contact_id]": f.contact.ID,
	} {
		if form.Get(k) != want {
			t.Errorf("payment intent %s = %q, want %q", k, form.Get(k), want)
		}
	}
	if !strings.HasPrefix(form.Get("payment_method"), "pm_") {
		t.Errorf("payment_method = %q", form.Get("payment_method"))
	}
	if intents[0].IdempotencyKey != "enr1/pay/1" {
		t.Errorf("Idempotency-Key = %q, want (enrollment, step, visit)", intents[0].IdempotencyKey)
	}
	var row models.StepExecution
	if err := f.db.Where("enrollment_id = ? AND step_id = ?", "enr1", "pay").First(&row).Error; err != nil || row.Status != models.StepCompleted {
		t.Errorf("log row = %+v, %v", row, err)
	}
}

func TestStripeChargeRetriedAfterA500ReusesItsIdempotencyKey(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	in := f.input(`{"id": "pay", "type": "stripe_charge", "config": {"amount": "10", "currency": "eur"}}`)
	first := true
	f.proxy.Intercept(func(r testservers.StripeRequest) (int, string) {
		if r.Path == "/v1/payment_intents" && first {
			first = false
			return http.StatusInternalServerError, testservers.StripeAPIError
		}
		return 0, ""
	})
	_, err := execute(t, f.acts, in)
	if err == nil || permanentError(err) || !strings.Contains(err.Error(), "Stripe answered 500") {
		t.Fatalf("first attempt: %v, want a retryable failure naming Stripe's 500", err)
	}
	if _, err := execute(t, f.acts, in); err != nil { // Temporal retrying the same StepInput
		t.Fatalf("retry: %v", err)
	}
	if _, err := execute(t, f.acts, in); err != nil { // and once more, e.g. after a lost answer
		t.Fatalf("second retry: %v", err)
	}
	intents := f.proxy.Requests("POST", "/v1/payment_intents")
	if len(intents) != 3 {
		t.Fatalf("payment intent requests = %d, want 3", len(intents))
	}
	for _, r := range intents {
		if r.IdempotencyKey != "enr1/pay/1" {
			t.Errorf("Idempotency-Key = %q, want the same on every attempt", r.IdempotencyKey)
		}
	}
	in.Visit = 2 // a loop coming back to the step is a new charge
	if _, err := execute(t, f.acts, in); err != nil {
		t.Fatal(err)
	}
	if got := f.proxy.Requests("POST", "/v1/payment_intents"); got[len(got)-1].IdempotencyKey != "enr1/pay/2" {
		t.Errorf("second visit's key = %q", got[len(got)-1].IdempotencyKey)
	}
}

func TestStripeChargeDeclineFailsPermanentlyWithStripesMessage(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Bo"), StripeCustomerID: ptr("cus_broke")})
	f.proxy.Intercept(func(r testservers.StripeRequest) (int, string) {
		if r.Path == "/v1/payment_intents" {
			return http.StatusPaymentRequired, testservers.StripeCardDeclined
		}
		return 0, ""
	})
	_, err := execute(t, f.acts, f.input(`{"id": "pay", "type": "stripe_charge", "config": {"amount": "49.00", "currency": "usd"}}`))
	if !permanentError(err) || !strings.Contains(err.Error(), "Your card has insufficient funds.") || !strings.Contains(err.Error(), "insufficient_funds") {
		t.Fatalf("err = %v, want a permanent failure with Stripe's decline message", err)
	}
	var row models.StepExecution
	f.db.Where("enrollment_id = ? AND step_id = ?", "enr1", "pay").First(&row)
	if !strings.Contains(row.Error, "declined") {
		t.Errorf("log row error = %q", row.Error)
	}
}

func TestStripeChargeUsesTheCustomersDefaultPaymentMethodAndExactMinorUnits(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Di"), StripeCustomerID: ptr("cus_default")})
	f.proxy.Intercept(func(r testservers.StripeRequest) (int, string) {
		if r.Method == "GET" && r.Path == "/v1/customers/cus_default" {
			return http.StatusOK, `{"id": "cus_default", "object": "customer", "invoice_settings": {"default_payment_method": "pm_default"}}`
		}
		return 0, ""
	})
	for i, c := range []struct{ amount, currency, minor string }{
		{"5000", "jpy", "5000"}, {"1.250", "KWD", "1250"}, {"0.5", "usd", "50"}, {"19.99", "gbp", "1999"},
	} {
		in := f.input(`{"id": "pay", "type": "stripe_charge", "config": {"amount": "` + c.amount + `", "currency": "` + c.currency + `"}}`)
		in.Visit = i + 1
		if _, err := execute(t, f.acts, in); err != nil {
			t.Fatalf("%s %s: %v", c.amount, c.currency, err)
		}
		got := f.proxy.Requests("POST", "/v1/payment_intents")
		if form := got[len(got)-1].Form; form.Get("amount") != c.minor || form.Get("payment_method") != "pm_default" {
			t.Errorf("%s %s: amount=%s payment_method=%s, want %s pm_default", c.amount, c.currency, form.Get("amount"), form.Get("payment_method"), c.minor)
		}
	}
	if n := len(f.proxy.Requests("GET", "/v1/customers/cus_default/payment_methods")); n != 0 {
		t.Errorf("listed payment methods %d times though the customer has a default", n)
	}
}

func TestStripeChargeRefusesWhatNoRetryCanFix(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	cases := []struct{ config, contains string }{
		{`{"amount": "{{event.amount}}", "currency": "usd"}`, "config.amount"},                   // renders empty
		{`{"amount": "12.345", "currency": "{{event.currency}}"}`, "more decimals than USD has"}, // rendered currency decides
		{`{"amount": "1000.5", "currency": "jpy"}`, "more decimals than JPY has (0)"},
		{`{"amount": "0.00", "currency": "usd"}`, "nothing to charge"},
		{`{"amount": "5", "currency": "{{event.nope}}"}`, "config.currency"},
	}
	for _, c := range cases {
		in := f.input(`{"id": "pay", "type": "stripe_charge", "config": ` + c.config + `}`)
		in.Event = &workflows.Event{Type: "x", Data: map[string]any{"currency": "usd"}}
		_, err := execute(t, f.acts, in)
		if !permanentError(err) || !strings.Contains(err.Error(), c.contains) {
			t.Errorf("%s: err = %v, want a permanent failure mentioning %q", c.config, err, c.contains)
		}
	}
	g := newFixture(t, contacts.Input{FirstName: ptr("NoCustomer")})
	noCustomer := activities.New(activities.Options{DB: g.db, Contacts: g.cs, Payments: mustStripe(t, f.proxy.URL)})
	_, err := execute(t, noCustomer, g.input(`{"id": "pay", "type": "stripe_charge", "config": {"amount": "5", "currency": "usd"}}`))
	if !permanentError(err) || !strings.Contains(err.Error(), "no stripe_customer_id") {
		t.Errorf("contact without a customer: %v", err)
	}
	if n := len(f.proxy.Requests("POST", "/v1/payment_intents")); n != 0 {
		t.Errorf("Stripe was asked to charge %d times", n)
	}
}

func TestPaymentStepsWithoutStripeFailPermanently(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	for _, step := range []string{
		`{"id": "pay", "type": "stripe_charge", "config": {"amount": "5", "currency": "usd"}}`,
		`{"id": "inv", "type": "send_invoice", "config": {"items": [{"description": "x", "amount": "5"}], "currency": "usd"}}`,
	} {
		_, err := execute(t, a, f.input(step))
		if !permanentError(err) || !strings.Contains(err.Error(), "Stripe is not configured") {
			t.Errorf("%s: err = %v", step, err)
		}
	}
}

func TestSendInvoiceCreatesFinalisesAndSendsWithAKeyPerCall(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	in := f.input(`{"id": "inv", "type": "send_invoice", "config": {"currency": "usd", "days_until_due": 14, "items": [
		{"description": "Cleaning for {{contact.first_name}}", "amount": "10"},
		{"description": "X-ray", "amount": "{{event.xray}}"}]}}`)
	in.Event = &workflows.Event{Type: "x", Data: map[string]any{"xray": "25.50"}}
	res, err := execute(t, f.acts, in)
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := res.Output["invoice"].(map[string]any)
	if id, _ := inv["id"].(string); !strings.HasPrefix(id, "in_") || inv["amount_due"] == nil || inv["currency"] != "usd" || inv["status"] == nil {
		t.Errorf("output = %v", res.Output)
	}
	check := func(attempt int) {
		got := f.proxy.Requests("POST", "/v1/invoice")
		if len(got) != 5*attempt {
			t.Fatalf("attempt %d: %d invoice requests, want %d: %+v", attempt, len(got), 5*attempt, got)
		}
		got = got[5*(attempt-1):]
		// stripe-mock's invoice id: it keeps no state, so each attempt gets a new one.
		id := got[1].Form.Get("invoice")
		if !strings.HasPrefix(id, "in_") {
			t.Fatalf("items added to invoice %q", id)
		}
		want := []struct{ path, key string }{
			{"/v1/invoices", "enr1/inv/1/invoice"},
			{"/v1/invoiceitems", "enr1/inv/1/item/0"},
			{"/v1/invoiceitems", "enr1/inv/1/item/1"},
			{"/v1/invoices/" + id + "/finalize", "enr1/inv/1/finalize"},
			{"/v1/invoices/" + id + "/send", "enr1/inv/1/send"},
		}
		for i, w := range want {
			if got[i].Path != w.path || got[i].IdempotencyKey != w.key {
				t.Errorf("attempt %d, call %d = %s key %q; want %s key %q", attempt, i, got[i].Path, got[i].IdempotencyKey, w.path, w.key)
			}
		}
		if f := got[0].Form; f.Get("customer") != "cus_ada" || f.Get("collection_method") != "send_invoice" || f.Get("days_until_due") != "14" ||
			f.Get("pending_invoice_items_behavior") != "exclude" || f.Get("currency") != "usd" {
			t.Errorf("invoice form = %v", got[0].Form)
		}
		if a, b := got[1].Form, got[2].Form; a.Get("amount") != "1000" || a.Get("description") != "Cleaning for Ada" || a.Get("invoice") != id ||
			b.Get("amount") != "2550" || b.Get("invoice") != id {
			t.Errorf("items = %v / %v", a, b)
		}
	}
	check(1)
	if _, err := execute(t, f.acts, in); err != nil { // a retry replays every call under its own key
		t.Fatal(err)
	}
	check(2)
}

func TestSendInvoiceStopsOnStripesRefusal(t *testing.T) {
	f := newStripeFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	f.proxy.Intercept(func(r testservers.StripeRequest) (int, string) {
		if strings.HasSuffix(r.Path, "/finalize") {
			return http.StatusBadRequest, `{"error": {"type": "invalid_request_error", "code": "customer_tax_location_invalid", "message": "The customer's location isn't recognized."}}`
		}
		return 0, ""
	})
	_, err := execute(t, f.acts, f.input(`{"id": "inv", "type": "send_invoice", "config": {"currency": "usd", "items": [{"description": "x", "amount": "5"}]}}`))
	if !permanentError(err) || !strings.Contains(err.Error(), "finalising invoice") || !strings.Contains(err.Error(), "location isn't recognized") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.proxy.Requests("POST", "/v1/invoices/")); n != 1 { // finalize only: never sent
		t.Errorf("calls after the refusal: %d", n)
	}
	if got := f.proxy.Requests("POST", "/v1/invoices"); got[0].Form.Get("days_until_due") != "30" {
		t.Errorf("default days_until_due = %q, want 30", got[0].Form.Get("days_until_due"))
	}
}

func mustStripe(t *testing.T, url string) *payments.Stripe {
	st, err := payments.NewStripe(payments.StripeOptions{APIKey: "sk_test_crmflow", BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

package workflows_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/activities/payments"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/testservers"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// A charge through stripe-mock whose id a later step reads, a first attempt
// lost to a Stripe 500 and retried under the same key, and a declined upsell
// that takes its on_failure branch.
func TestStripeChargeOutputRetryAndDeclineBranch(t *testing.T) {
	mock := testservers.NewStripeMock(t)
	proxy := testservers.NewStripeProxy(t, mock.URL)
	outage := true
	proxy.Intercept(func(r testservers.StripeRequest) (int, string) {
		if r.Path != "/v1/payment_intents" {
			return 0, ""
		}
		switch {
		case r.Form.Get("amount") == "4900" && outage:
			outage = false
			return http.StatusInternalServerError, testservers.StripeAPIError
		case r.Form.Get("amount") == "9900":
			return http.StatusPaymentRequired, testservers.StripeCardDeclined
		}
		return 0, ""
	})
	st, err := payments.NewStripe(payments.StripeOptions{APIKey: "sk_test_crmflow", BaseURL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), StripeCustomerID: ptr("cus_ada")})
	f.acts = activities.New(activities.Options{DB: f.db, Contacts: f.contacts, Payments: st})
	_, e := f.publish(`{"name": "checkout", "triggers": [], "start": "pay", "steps": [
		{"id": "pay", "type": "stripe_charge", "config": {"amount": "{{event.amount}}", "currency": "usd", "description": "Plan"},
		 "retry": {"max_attempts": 3, "initial_interval": "1s"}, "next": "note"},
		{"id": "note", "type": "update_contact", "config": {"fields": {"custom.last_charge": "{{steps.pay.charge.id}}", "custom.paid": "{{steps.pay.charge.amount}} {{steps.pay.charge.currency}}"}}, "next": "upsell"},
		{"id": "upsell", "type": "stripe_charge", "config": {"amount": "99.00", "currency": "usd"}, "on_failure": "declined", "next": "thanks"},
		{"id": "thanks", "type": "add_tag", "config": {"tags": ["upsold"]}},
		{"id": "declined", "type": "add_tag", "config": {"tags": ["upsell_declined"]}}
	]}`)
	f.run(f.env(), e, &workflows.Event{Type: "order_submitted", Data: map[string]any{"amount": "49.00"}})

	if got := f.enrollment(e.ID); got.Status != models.EnrollmentCompleted {
		t.Fatalf("enrollment = %s %q", got.Status, got.ExitReason)
	}
	c, err := f.contacts.Get(context.Background(), f.account.ID, f.contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := c.Custom["last_charge"].(string); !strings.HasPrefix(id, "pi_") || c.Custom["paid"] != "49.00 usd" {
		t.Errorf("custom = %v, want the charge's id and amount from steps.pay.charge", c.Custom)
	}
	tags := make([]string, 0, len(c.Tags))
	for _, tag := range c.Tags {
		tags = append(tags, tag.Tag)
	}
	if !slices.Contains(tags, "upsell_declined") || slices.Contains(tags, "upsold") {
		t.Errorf("tags = %v, want the decline branch only", tags)
	}
	var keys []string
	for _, r := range proxy.Requests("POST", "/v1/payment_intents") {
		keys = append(keys, r.Form.Get("amount")+" "+r.IdempotencyKey)
	}
	want := []string{"4900 " + e.ID + "/pay/1", "4900 " + e.ID + "/pay/1", "9900 " + e.ID + "/upsell/1"}
	if !slices.Equal(keys, want) {
		t.Errorf("charges = %v, want %v (the 500 retried under its key, the decline not retried)", keys, want)
	}
	byStep := map[string]models.StepExecution{}
	for _, row := range f.log(e.ID) {
		byStep[row.StepID] = row
	}
	if r := byStep["pay"]; r.Status != models.StepCompleted || r.Attempts != 2 {
		t.Errorf("pay = %s after %d attempts", r.Status, r.Attempts)
	}
	if r := byStep["upsell"]; r.Status != models.StepFailed || !strings.Contains(r.Error, "Your card has insufficient funds.") {
		t.Errorf("upsell = %s %q, want failed with Stripe's decline message", r.Status, r.Error)
	}
}

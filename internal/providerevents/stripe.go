package providerevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/crmflow/crmflow/workflows/money"
)

// ErrBadSignature is a Stripe payload whose Stripe-Signature is missing,
// malformed, wrong, or older than Stripe's default tolerance (5 minutes).
var ErrBadSignature = errors.New("invalid Stripe-Signature")

// VerifyStripe checks the Stripe-Signature header of a raw webhook body
// with the endpoint's signing secret, as stripe-go does (default tolerance).
func VerifyStripe(payload []byte, header, secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: no signing secret is configured", ErrBadSignature)
	}
	if err := webhook.ValidatePayload(payload, header, secret); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

// StripeEvent is a Stripe event as crmflow records it.
type StripeEvent struct {
	ID         string // Stripe's event id (evt_...): Stripe retries, so it deduplicates
	StripeType string // "invoice.paid"...
	// Type is the crmflow event it raises; "" for Stripe events crmflow ignores.
	Type string
	// Data is the provider's object with amount (major units, a decimal
	// string), currency and status at its top.
	Data       map[string]any
	CustomerID string // the object's customer (cus_...), "" when none
	Email      string // the best email the object carries, "" when none
	OccurredAt time.Time
}

// stripeTypes maps the Stripe events crmflow listens to onto its own.
var stripeTypes = map[string]string{
	"payment_intent.succeeded":      "payment_received",
	"charge.succeeded":              "payment_received",
	"invoice.paid":                  "invoice_paid",
	"customer.subscription.created": "subscription_changed",
	"customer.subscription.updated": "subscription_changed",
	"customer.subscription.deleted": "subscription_changed",
}

// ParseStripe reads a verified Stripe event. An event of a type crmflow does
// not use comes back with Type "" and is to be acknowledged and dropped.
func ParseStripe(payload []byte) (*StripeEvent, error) {
	var raw struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Created int64  `json:"created"`
		Data    struct {
			Object             map[string]any `json:"object"`
			PreviousAttributes map[string]any `json:"previous_attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("reading Stripe event: %w", err)
	}
	if raw.ID == "" || raw.Type == "" {
		return nil, errors.New("reading Stripe event: it has no id or type")
	}
	ev := &StripeEvent{ID: raw.ID, StripeType: raw.Type, Type: stripeTypes[raw.Type], OccurredAt: time.Now().UTC()}
	if raw.Created > 0 {
		ev.OccurredAt = time.Unix(raw.Created, 0).UTC()
	}
	if ev.Type == "" {
		return ev, nil
	}
	obj := raw.Data.Object
	if obj == nil {
		return nil, fmt.Errorf("reading Stripe event %s: it has no data.object", raw.ID)
	}
	currency, _ := obj["currency"].(string)
	minor, ok := amountOf(raw.Type, obj)
	if ok {
		if a, isNum := obj["amount"].(float64); isNum {
			obj["amount_minor"] = int64(a)
		}
		obj["amount"] = money.MajorUnits(minor, currency)
	} else {
		delete(obj, "amount")
	}
	obj["currency"] = currency
	if _, ok := obj["status"].(string); !ok {
		obj["status"] = ""
	}
	obj["stripe_event_type"] = raw.Type
	if raw.Data.PreviousAttributes != nil {
		obj["previous_attributes"] = raw.Data.PreviousAttributes
	}
	ev.Data = obj
	ev.CustomerID, ev.Email = customerOf(obj)
	return ev, nil
}

// amountOf is the amount the event is about, in minor units: what was
// received for a payment, what was paid for an invoice, and what the
// subscription costs a period (its items' unit amounts times quantities).
func amountOf(stripeType string, obj map[string]any) (int64, bool) {
	switch {
	case strings.HasPrefix(stripeType, "payment_intent."):
		if v, ok := integer(obj["amount_received"]); ok && v > 0 {
			return v, true
		}
		return integer(obj["amount"])
	case strings.HasPrefix(stripeType, "charge."):
		return integer(obj["amount"])
	case strings.HasPrefix(stripeType, "invoice."):
		return integer(obj["amount_paid"])
	case strings.HasPrefix(stripeType, "customer.subscription."):
		items, _ := obj["items"].(map[string]any)
		list, _ := items["data"].([]any)
		var sum int64
		found := false
		for _, it := range list {
			item, _ := it.(map[string]any)
			price, _ := item["price"].(map[string]any)
			unit, ok := integer(price["unit_amount"])
			if !ok {
				plan, _ := item["plan"].(map[string]any)
				if unit, ok = integer(plan["amount"]); !ok {
					continue
				}
			}
			qty, ok := integer(item["quantity"])
			if !ok {
				qty = 1
			}
			sum += unit * qty
			found = true
		}
		return sum, found
	}
	return 0, false
}

// customerOf finds the customer id and an email in an object: its customer
// (an id, or the expanded customer), and the emails Stripe objects carry.
func customerOf(obj map[string]any) (id, email string) {
	switch c := obj["customer"].(type) {
	case string:
		id = c
	case map[string]any:
		id, _ = c["id"].(string)
		email, _ = c["email"].(string)
	}
	if email == "" {
		billing, _ := obj["billing_details"].(map[string]any)
		for _, v := range []any{obj["customer_email"], obj["receipt_email"], billing["email"]} {
			if s, ok := v.(string); ok && s != "" {
				email = s
				break
			}
		}
	}
	return id, strings.ToLower(strings.TrimSpace(email))
}

// integer reads a JSON number that is a whole number.
func integer(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

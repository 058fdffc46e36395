// Package payments charges and invoices through Stripe (stripe-go). Every
// request carries an Idempotency-Key chosen by the caller, so a retried
// activity replays Stripe's first answer instead of charging again; the
// client's own network retries are off, since Temporal retries the activity
// (and logs each attempt) with the same keys.
package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// StripeOptions configures the Stripe client.
type StripeOptions struct {
	APIKey string
	// BaseURL is STRIPE_API_BASE_URL (stripe-mock in tests); "" is Stripe's own API.
	BaseURL string
	// HTTPClient defaults to one with a timeout shorter than the step's
	// activity timeout, so a hung call fails the attempt, not the step.
	HTTPClient *http.Client
}

// Stripe is a Stripe API client for one platform account.
type Stripe struct{ api *client.API }

// NewStripe builds the client.
func NewStripe(o StripeOptions) (*Stripe, error) {
	if o.APIKey == "" {
		return nil, errors.New("STRIPE_API_KEY is empty")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 40 * time.Second}
	}
	cfg := &stripe.BackendConfig{
		HTTPClient:        o.HTTPClient,
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if o.BaseURL != "" {
		cfg.URL = stripe.String(o.BaseURL)
	}
	return &Stripe{api: client.New(o.APIKey, stripe.NewBackendsWithConfig(cfg))}, nil
}

// ChargeRequest is a one-time off-session charge of a customer.
type ChargeRequest struct {
	CustomerID     string
	Amount         int64 // minor units
	Currency       string
	Description    string
	IdempotencyKey string
	Metadata       map[string]string
}

// Payment is the confirmed PaymentIntent.
type Payment struct {
	ID       string
	Status   string
	Amount   int64
	Currency string
}

// Charge creates and confirms a PaymentIntent off-session with the
// customer's default payment method (its invoice settings' default, else its
// first saved card).
func (s *Stripe) Charge(ctx context.Context, r ChargeRequest) (Payment, error) {
	pm, err := s.paymentMethod(ctx, r.CustomerID)
	if err != nil {
		return Payment{}, err
	}
	params := &stripe.PaymentIntentParams{
		Amount:        stripe.Int64(r.Amount),
		Currency:      stripe.String(r.Currency),
		Customer:      stripe.String(r.CustomerID),
		PaymentMethod: stripe.String(pm),
		Confirm:       stripe.Bool(true),
		OffSession:    stripe.Bool(true),
		// Nobody is there to follow a redirect: methods that need one are
		// refused up front rather than left waiting.
		AutomaticPaymentMethods: &stripe.PaymentIntentAutomaticPaymentMethodsParams{
			Enabled: stripe.Bool(true), AllowRedirects: stripe.String("never"),
		},
		Metadata: r.Metadata,
	}
	if r.Description != "" {
		params.Description = stripe.String(r.Description)
	}
	params.Context = ctx
	params.SetIdempotencyKey(r.IdempotencyKey)
	pi, err := s.api.PaymentIntents.New(params)
	if err != nil {
		return Payment{}, stripeError("charging the customer", err)
	}
	return Payment{ID: pi.ID, Status: string(pi.Status), Amount: pi.Amount, Currency: string(pi.Currency)}, nil
}

// paymentMethod is the payment method to charge off-session.
func (s *Stripe) paymentMethod(ctx context.Context, customerID string) (string, error) {
	params := &stripe.CustomerParams{}
	params.Context = ctx
	c, err := s.api.Customers.Get(customerID, params)
	if err != nil {
		return "", stripeError("reading the Stripe customer "+customerID, err)
	}
	if c.Deleted {
		return "", &Error{Message: fmt.Sprintf("the Stripe customer %s was deleted", customerID)}
	}
	if c.InvoiceSettings != nil && c.InvoiceSettings.DefaultPaymentMethod != nil && c.InvoiceSettings.DefaultPaymentMethod.ID != "" {
		return c.InvoiceSettings.DefaultPaymentMethod.ID, nil
	}
	list := &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(customerID), Type: stripe.String("card")}
	list.Context = ctx
	list.Limit = stripe.Int64(1)
	it := s.api.Customers.ListPaymentMethods(list)
	if it.Next() {
		return it.PaymentMethod().ID, nil
	}
	if err := it.Err(); err != nil {
		return "", stripeError("listing the payment methods of the Stripe customer "+customerID, err)
	}
	return "", &Error{Message: fmt.Sprintf("the Stripe customer %s has no default payment method and no saved card to charge", customerID)}
}

// InvoiceRequest is an invoice that Stripe emails to the customer.
type InvoiceRequest struct {
	CustomerID   string
	Currency     string
	DaysUntilDue int64
	Items        []InvoiceLine
	// IdempotencyKey is suffixed per Stripe call ("/invoice", "/item/0",
	// "/finalize", "/send"), so every call of a retry replays its first answer.
	IdempotencyKey string
	Metadata       map[string]string
}

// InvoiceLine is one invoice item.
type InvoiceLine struct {
	Description string
	Amount      int64 // minor units
}

// Invoice is the sent invoice.
type Invoice struct {
	ID, Status, Number, HostedInvoiceURL string
	AmountDue                            int64
	Currency                             string
}

// SendInvoice creates a draft invoice, adds the items to it, finalises it
// and has Stripe email it. The items are attached to this invoice by id (not
// swept in from the customer's pending items), so nothing else lands on it.
func (s *Stripe) SendInvoice(ctx context.Context, r InvoiceRequest) (Invoice, error) {
	key := r.IdempotencyKey
	ip := &stripe.InvoiceParams{
		Customer:                    stripe.String(r.CustomerID),
		Currency:                    stripe.String(r.Currency),
		CollectionMethod:            stripe.String(string(stripe.InvoiceCollectionMethodSendInvoice)),
		DaysUntilDue:                stripe.Int64(r.DaysUntilDue),
		PendingInvoiceItemsBehavior: stripe.String("exclude"),
		AutoAdvance:                 stripe.Bool(false),
		Metadata:                    r.Metadata,
	}
	ip.Context = ctx
	ip.SetIdempotencyKey(key + "/invoice")
	inv, err := s.api.Invoices.New(ip)
	if err != nil {
		return Invoice{}, stripeError("creating the invoice", err)
	}
	for i, line := range r.Items {
		p := &stripe.InvoiceItemParams{
			Customer:    stripe.String(r.CustomerID),
			Invoice:     stripe.String(inv.ID),
			Amount:      stripe.Int64(line.Amount),
			Currency:    stripe.String(r.Currency),
			Description: stripe.String(line.Description),
		}
		p.Context = ctx
		p.SetIdempotencyKey(fmt.Sprintf("%s/item/%d", key, i))
		if _, err := s.api.InvoiceItems.New(p); err != nil {
			return Invoice{}, stripeError(fmt.Sprintf("adding item %d to invoice %s", i, inv.ID), err)
		}
	}
	fp := &stripe.InvoiceFinalizeInvoiceParams{}
	fp.Context = ctx
	fp.SetIdempotencyKey(key + "/finalize")
	if _, err := s.api.Invoices.FinalizeInvoice(inv.ID, fp); err != nil {
		return Invoice{}, stripeError("finalising invoice "+inv.ID, err)
	}
	sp := &stripe.InvoiceSendInvoiceParams{}
	sp.Context = ctx
	sp.SetIdempotencyKey(key + "/send")
	sent, err := s.api.Invoices.SendInvoice(inv.ID, sp)
	if err != nil {
		return Invoice{}, stripeError("sending invoice "+inv.ID, err)
	}
	if sent.ID == "" {
		sent.ID = inv.ID
	}
	return Invoice{ID: sent.ID, Status: string(sent.Status), Number: sent.Number, HostedInvoiceURL: sent.HostedInvoiceURL,
		AmountDue: sent.AmountDue, Currency: string(sent.Currency)}, nil
}

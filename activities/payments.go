package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmflow/crmflow/activities/payments"
	"github.com/crmflow/crmflow/workflows/money"
	"github.com/crmflow/crmflow/workflows/steps"
)

// Charge charges the enrolled contact's Stripe customer once per
// (enrollment, step, visit): that is the PaymentIntent's Idempotency-Key, so
// a retry after a lost answer gets Stripe's first answer, never a second charge.
func (a *Activities) Charge(ctx context.Context, call *steps.Call, ch steps.Charge) (steps.ChargeResult, error) {
	if a.opts.Payments == nil {
		return steps.ChargeResult{}, errStripeNotConfigured
	}
	currency, err := paymentCurrency(ch.Currency)
	if err != nil {
		return steps.ChargeResult{}, err
	}
	amount, err := paymentAmount("config.amount", ch.Amount, currency)
	if err != nil {
		return steps.ChargeResult{}, err
	}
	customer, err := a.stripeCustomer(ctx, call)
	if err != nil {
		return steps.ChargeResult{}, err
	}
	p, err := a.opts.Payments.Charge(ctx, payments.ChargeRequest{
		CustomerID: customer, Amount: amount, Currency: currency, Description: ch.Description,
		IdempotencyKey: call.IdempotencyKey, Metadata: paymentMetadata(call),
	})
	if err != nil {
		return steps.ChargeResult{}, paymentError(err)
	}
	if p.Currency == "" { // Stripe always answers it; keep the output whole regardless
		p.Currency = currency
	}
	return steps.ChargeResult{ID: p.ID, Status: p.Status, Amount: money.MajorUnits(p.Amount, p.Currency),
		AmountMinor: p.Amount, Currency: p.Currency}, nil
}

// SendInvoice has Stripe email the contact's customer an invoice, once per
// (enrollment, step, visit): each Stripe call's Idempotency-Key is that plus
// a suffix of its own.
func (a *Activities) SendInvoice(ctx context.Context, call *steps.Call, inv steps.Invoice) (steps.InvoiceResult, error) {
	if a.opts.Payments == nil {
		return steps.InvoiceResult{}, errStripeNotConfigured
	}
	currency, err := paymentCurrency(inv.Currency)
	if err != nil {
		return steps.InvoiceResult{}, err
	}
	req := payments.InvoiceRequest{Currency: currency, DaysUntilDue: int64(inv.DaysUntilDue),
		IdempotencyKey: call.IdempotencyKey, Metadata: paymentMetadata(call)}
	for i, it := range inv.Items {
		amount, err := paymentAmount(fmt.Sprintf("config.items[%d].amount", i), it.Amount, currency)
		if err != nil {
			return steps.InvoiceResult{}, err
		}
		if it.Description == "" {
			return steps.InvoiceResult{}, permanent("config.items[%d].description: rendered empty; an invoice line needs a description", i)
		}
		req.Items = append(req.Items, payments.InvoiceLine{Description: it.Description, Amount: amount})
	}
	if req.CustomerID, err = a.stripeCustomer(ctx, call); err != nil {
		return steps.InvoiceResult{}, err
	}
	sent, err := a.opts.Payments.SendInvoice(ctx, req)
	if err != nil {
		return steps.InvoiceResult{}, paymentError(err)
	}
	if sent.Currency == "" {
		sent.Currency = currency
	}
	return steps.InvoiceResult{ID: sent.ID, Status: sent.Status, Number: sent.Number, HostedInvoiceURL: sent.HostedInvoiceURL,
		AmountDue: money.MajorUnits(sent.AmountDue, sent.Currency), AmountDueMinor: sent.AmountDue, Currency: sent.Currency}, nil
}

var errStripeNotConfigured = &PermanentError{Err: errors.New("Stripe is not configured: set STRIPE_API_KEY (and restart the worker) to charge and invoice contacts")}

// paymentCurrency checks a rendered currency: a template may render anything.
func paymentCurrency(s string) (string, error) {
	if err := money.CheckCurrency(s); err != nil {
		return "", permanent("config.currency: %v", err)
	}
	return money.Normalize(s), nil
}

// paymentAmount converts a rendered amount to minor units; a value that is
// not an amount would be the same on every retry, so it fails at once.
func paymentAmount(path, s, currency string) (int64, error) {
	minor, err := money.ToMinor(s, currency)
	if err != nil {
		return 0, permanent("%s: %v", path, err)
	}
	if minor == 0 {
		return 0, permanent("%s: %q is zero: there is nothing to charge", path, s)
	}
	return minor, nil
}

// stripeCustomer is the contact's stripe_customer_id.
func (a *Activities) stripeCustomer(ctx context.Context, call *steps.Call) (string, error) {
	c, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return "", contactError(err)
	}
	if c.StripeCustomerID == "" {
		return "", permanent("the contact has no stripe_customer_id: set it to their Stripe customer (cus_...) to charge or invoice them")
	}
	return c.StripeCustomerID, nil
}

// paymentMetadata ties the Stripe object back to the run that made it.
func paymentMetadata(call *steps.Call) map[string]string {
	return map[string]string{
		"crmflow_account_id": call.AccountID, "crmflow_workflow_id": call.WorkflowID,
		"crmflow_enrollment_id": call.EnrollmentID, "crmflow_step_id": call.Step.ID, "crmflow_contact_id": call.ContactID,
	}
}

// paymentError makes Stripe's final refusals (a declined card, a bad
// request) permanent, with Stripe's own message; the rest are retried.
func paymentError(err error) error {
	var pe *payments.Error
	if errors.As(err, &pe) && !pe.Retryable {
		return &PermanentError{Err: err}
	}
	return err
}

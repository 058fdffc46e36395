package steps

import "context"

// PaymentsEnv charges and invoices the enrolled contact through Stripe, with
// Stripe idempotency keys derived from the call's (enrollment, step, visit),
// so a retried step never charges or invoices twice. Amounts arrive as the
// rendered decimal strings: the activity converts them to minor units, so a
// value that is not an amount fails the step at once instead of being retried.
type PaymentsEnv interface {
	Charge(ctx context.Context, call *Call, c Charge) (ChargeResult, error)
	SendInvoice(ctx context.Context, call *Call, inv Invoice) (InvoiceResult, error)
}

// Charge is a one-time charge of the contact's saved payment method.
type Charge struct {
	Amount      string // decimal in major units, e.g. "49.00"
	Currency    string // ISO 4217
	Description string
}

// ChargeResult is the confirmed PaymentIntent.
type ChargeResult struct {
	ID          string // the PaymentIntent's id (pi_...)
	Status      string // Stripe's status: succeeded, or processing for delayed methods
	Amount      string // major units, "49.00"
	AmountMinor int64  // Stripe's integer, 4900
	Currency    string // lower case, as Stripe writes it
}

// Invoice is an invoice sent to the contact by Stripe.
type Invoice struct {
	Items        []InvoiceItem
	Currency     string
	DaysUntilDue int
}

// InvoiceItem is one line of an invoice.
type InvoiceItem struct {
	Description string
	Amount      string // decimal in major units
}

// InvoiceResult is the finalised, sent invoice.
type InvoiceResult struct {
	ID               string
	Status           string
	Number           string
	HostedInvoiceURL string
	AmountDue        string // major units
	AmountDueMinor   int64
	Currency         string
}

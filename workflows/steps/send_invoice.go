package steps

import (
	"context"
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(sendInvoice{}) }

// Limits of send_invoice's config. Stripe takes up to 250 lines an invoice;
// a due date more than a year out is almost surely a typo.
const (
	maxInvoiceItems     = 250
	maxDaysUntilDue     = 365
	defaultDaysUntilDue = 30
)

// sendInvoiceConfig is send_invoice's config; descriptions, amounts and the
// currency may be templates.
type sendInvoiceConfig struct {
	Items    []invoiceItemConfig `json:"items"`
	Currency string              `json:"currency"`
	// DaysUntilDue is optional (30 when omitted); 0 makes it due at once.
	DaysUntilDue *int `json:"days_until_due,omitempty"`
}

type invoiceItemConfig struct {
	Description string `json:"description"`
	Amount      string `json:"amount"` // decimal in major units
}

// sendInvoice has Stripe email the contact an invoice to pay online: its
// items, finalised, with a due date (collection_method send_invoice).
type sendInvoice struct{ noTargets }

func (sendInvoice) Type() string { return "send_invoice" }
func (sendInvoice) Remote() bool { return true }

func (sendInvoice) Validate(p *validation.Problems, s *definition.Step) {
	var c sendInvoiceConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	known := false
	if required(p, "config.currency", c.Currency) {
		known = checkCurrency(p, "config.currency", c.Currency)
	}
	switch {
	case len(c.Items) == 0:
		p.Add("config.items", "at least one item is required")
	case len(c.Items) > maxInvoiceItems:
		p.Add("config.items", "at most %d items", maxInvoiceItems)
	}
	for i, it := range c.Items {
		path := fmt.Sprintf("config.items[%d]", i)
		if required(p, path+".description", it.Description) {
			checkTemplate(p, path+".description", it.Description)
		}
		checkAmount(p, path+".amount", it.Amount, c.Currency, known)
	}
	if d := c.DaysUntilDue; d != nil && (*d < 0 || *d > maxDaysUntilDue) {
		p.Add("config.days_until_due", "must be between 0 and %d days, not %d", maxDaysUntilDue, *d)
	}
}

func (sendInvoice) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c sendInvoiceConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	inv := Invoice{DaysUntilDue: defaultDaysUntilDue}
	if c.DaysUntilDue != nil {
		inv.DaysUntilDue = *c.DaysUntilDue
	}
	var err error
	if inv.Currency, err = call.Render(c.Currency); err != nil {
		return Result{}, fmt.Errorf("config.currency: %w", err)
	}
	for i, it := range c.Items {
		var item InvoiceItem
		if item.Description, err = call.Render(it.Description); err != nil {
			return Result{}, fmt.Errorf("config.items[%d].description: %w", i, err)
		}
		if item.Amount, err = call.Render(it.Amount); err != nil {
			return Result{}, fmt.Errorf("config.items[%d].amount: %w", i, err)
		}
		inv.Items = append(inv.Items, item)
	}
	res, err := env.SendInvoice(ctx, call, inv)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"invoice": map[string]any{
		"id": res.ID, "status": res.Status, "number": res.Number, "hosted_invoice_url": res.HostedInvoiceURL,
		"amount_due": res.AmountDue, "amount_due_minor": res.AmountDueMinor, "currency": res.Currency,
	}}}, nil
}

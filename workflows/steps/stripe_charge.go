package steps

import (
	"context"
	"fmt"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(stripeCharge{}) }

// stripeChargeConfig is stripe_charge's config; every field may be a template.
type stripeChargeConfig struct {
	Amount      string `json:"amount"` // decimal in major units: "49.00", "{{event.amount}}"
	Currency    string `json:"currency"`
	Description string `json:"description,omitempty"`
}

// stripeCharge charges the contact's saved payment method once, off-session
// (the contact is not there to authenticate), through a Stripe PaymentIntent.
type stripeCharge struct{ noTargets }

func (stripeCharge) Type() string { return "stripe_charge" }
func (stripeCharge) Remote() bool { return true }

func (stripeCharge) Validate(p *validation.Problems, s *definition.Step) {
	var c stripeChargeConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	known := false
	if required(p, "config.currency", c.Currency) {
		known = checkCurrency(p, "config.currency", c.Currency)
	}
	checkAmount(p, "config.amount", c.Amount, c.Currency, known)
	checkTemplate(p, "config.description", c.Description)
}

func (stripeCharge) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c stripeChargeConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	var ch Charge
	for _, f := range []struct {
		path string
		src  string
		dst  *string
	}{{"config.amount", c.Amount, &ch.Amount}, {"config.currency", c.Currency, &ch.Currency}, {"config.description", c.Description, &ch.Description}} {
		v, err := call.Render(f.src)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", f.path, err)
		}
		*f.dst = v
	}
	res, err := env.Charge(ctx, call, ch)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"charge": map[string]any{
		"id": res.ID, "status": res.Status, "amount": res.Amount, "amount_minor": res.AmountMinor, "currency": res.Currency,
	}}}, nil
}

package steps

import (
	"github.com/crmflow/crmflow/workflows/money"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

// checkCurrency reports a currency that is neither a template nor an ISO
// 4217 code; it says whether the currency is a known literal code.
func checkCurrency(p *validation.Problems, path, currency string) bool {
	if template.IsTemplate(currency) {
		checkTemplate(p, path, currency)
		return false
	}
	if err := money.CheckCurrency(currency); err != nil {
		p.Add(path, "%s", err.Error())
		return false
	}
	return true
}

// checkAmount reports an amount that is neither a template nor a positive
// decimal in major units; with a literal currency it also refuses more
// decimals than that currency has ("49.001" dollars).
func checkAmount(p *validation.Problems, path, amount, currency string, knownCurrency bool) {
	if !required(p, path, amount) {
		return
	}
	if template.IsTemplate(amount) {
		checkTemplate(p, path, amount)
		return
	}
	if !knownCurrency {
		if err := money.CheckAmount(amount); err != nil {
			p.Add(path, "%s", err.Error())
		}
		return
	}
	minor, err := money.ToMinor(amount, currency)
	switch {
	case err != nil:
		p.Add(path, "%s", err.Error())
	case minor == 0:
		p.Add(path, "must be more than zero")
	}
}

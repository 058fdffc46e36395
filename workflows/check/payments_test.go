package check

import (
	"strings"
	"testing"
)

func TestPaymentStepsValidateOnSave(t *testing.T) {
	step := func(typ, config string) string {
		return `{"name":"x","start":"a","steps":[{"id":"a","type":"` + typ + `","config":` + config + `}]}`
	}
	valid := []string{
		step("stripe_charge", `{"amount":"49.00","currency":"usd","description":"Plan for {{contact.first_name}}"}`),
		step("stripe_charge", `{"amount":"{{event.amount}}","currency":"{{event.currency}}"}`),
		step("stripe_charge", `{"amount":"1000","currency":"JPY"}`),
		step("stripe_charge", `{"amount":"1.250","currency":"kwd"}`),
		step("stripe_charge", `{"amount":"12.345","currency":"{{event.currency}}"}`), // the rendered currency decides
		step("send_invoice", `{"items":[{"description":"Cleaning","amount":"80"},{"description":"{{event.item}}","amount":"{{event.price}}"}],"currency":"eur","days_until_due":14}`),
		step("send_invoice", `{"items":[{"description":"Cleaning","amount":"80"}],"currency":"usd"}`),
		step("send_invoice", `{"items":[{"description":"Cleaning","amount":"80"}],"currency":"usd","days_until_due":0}`),
	}
	for _, def := range valid {
		if f := faults(t, def); len(f) != 0 {
			t.Errorf("%s: faults %v", def, f)
		}
	}
	cases := []struct{ name, def, path, contains string }{
		{"amount not a number", step("stripe_charge", `{"amount":"forty","currency":"usd"}`), "steps[0].config.amount", "not an amount"},
		{"amount with a comma", step("stripe_charge", `{"amount":"1,000","currency":"usd"}`), "steps[0].config.amount", "not an amount"},
		{"amount negative", step("stripe_charge", `{"amount":"-5","currency":"usd"}`), "steps[0].config.amount", "not an amount"},
		{"amount as a JSON number", step("stripe_charge", `{"amount":49,"currency":"usd"}`), "steps[0].config.amount", "must be a string"},
		{"amount zero", step("stripe_charge", `{"amount":"0.00","currency":"usd"}`), "steps[0].config.amount", "more than zero"},
		{"amount missing", step("stripe_charge", `{"currency":"usd"}`), "steps[0].config.amount", "required"},
		{"too many decimals", step("stripe_charge", `{"amount":"49.001","currency":"usd"}`), "steps[0].config.amount", "more decimals than USD"},
		{"decimals on yen", step("stripe_charge", `{"amount":"100.5","currency":"jpy"}`), "steps[0].config.amount", "more decimals than JPY has (0)"},
		{"bad amount template", step("stripe_charge", `{"amount":"{{event.amount","currency":"usd"}`), "steps[0].config.amount", "parse"},
		{"unknown currency", step("stripe_charge", `{"amount":"5","currency":"usdollar"}`), "steps[0].config.currency", "not an ISO 4217"},
		{"currency missing", step("stripe_charge", `{"amount":"5"}`), "steps[0].config.currency", "required"},
		{"unknown charge field", step("stripe_charge", `{"amount":"5","currency":"usd","amout":"6"}`), "steps[0].config.amout", "unknown field"},
		{"bad description template", step("stripe_charge", `{"amount":"5","currency":"usd","description":"{% if %}"}`), "steps[0].config.description", ""},
		{"empty items", step("send_invoice", `{"items":[],"currency":"usd"}`), "steps[0].config.items", "at least one item"},
		{"no items", step("send_invoice", `{"currency":"usd"}`), "steps[0].config.items", "at least one item"},
		{"item amount", step("send_invoice", `{"items":[{"description":"a","amount":"5"},{"description":"b","amount":"five"}],"currency":"usd"}`), "steps[0].config.items[1].amount", "not an amount"},
		{"item decimals", step("send_invoice", `{"items":[{"description":"a","amount":"5.5"}],"currency":"krw"}`), "steps[0].config.items[0].amount", "more decimals than KRW"},
		{"item description", step("send_invoice", `{"items":[{"amount":"5"}],"currency":"usd"}`), "steps[0].config.items[0].description", "required"},
		{"unknown item field", step("send_invoice", `{"items":[{"description":"a","amount":"5","qty":2}],"currency":"usd"}`), "steps[0].config.items[0].qty", "unknown field"},
		{"invoice currency", step("send_invoice", `{"items":[{"description":"a","amount":"5"}],"currency":"bitcoin"}`), "steps[0].config.currency", "not an ISO 4217"},
		{"days_until_due too far", step("send_invoice", `{"items":[{"description":"a","amount":"5"}],"currency":"usd","days_until_due":400}`), "steps[0].config.days_until_due", "between 0 and 365"},
		{"days_until_due negative", step("send_invoice", `{"items":[{"description":"a","amount":"5"}],"currency":"usd","days_until_due":-1}`), "steps[0].config.days_until_due", "between 0 and 365"},
		{"days_until_due as text", step("send_invoice", `{"items":[{"description":"a","amount":"5"}],"currency":"usd","days_until_due":"14"}`), "steps[0].config.days_until_due", "must be an integer"},
	}
	for _, c := range cases {
		f := faults(t, c.def)
		msg, ok := f[c.path]
		if !ok {
			t.Errorf("%s: no fault at %s; got %v", c.name, c.path, f)
			continue
		}
		if !strings.Contains(msg, c.contains) {
			t.Errorf("%s: %s = %q, want it to mention %q", c.name, c.path, msg, c.contains)
		}
	}
}

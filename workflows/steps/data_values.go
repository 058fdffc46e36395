package steps

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

// textValue is a data step's operand: builders write it as a JSON string
// (often a template) or, for convenience, as a plain number, so "left": 5
// and "left": "5" mean the same. A number keeps its literal digits, so
// 0.10 stays 0.10 (no float on the way).
type textValue string

func (v *textValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = textValue(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*v = textValue(n.String())
		return nil
	}
	var got any
	_ = json.Unmarshal(b, &got)
	return &json.UnmarshalTypeError{Value: validation.JSONType(got), Type: reflect.TypeFor[string]()}
}

// renderAt renders a templated operand, naming its config path on failure.
func renderAt(call *Call, path string, v textValue) (string, error) {
	out, err := call.Render(string(v))
	if err != nil {
		return "", fail("%s: %v", path, err)
	}
	return strings.TrimSpace(out), nil
}

// checkTemplateValue reports a templated operand that does not parse.
func checkTemplateValue(p *validation.Problems, path string, v textValue) {
	checkTemplate(p, path, string(v))
}

// literal reports whether a config value is fixed text (no template), so
// it can be checked on save rather than at run time.
func literal(v textValue) bool { return !template.IsTemplate(string(v)) }

var (
	groupedNumber   = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$`)
	currencySymbols = "$€£¥₹"
)

// parseDecimal reads a number exactly: "49.99", "-3", "1,234.50" (comma
// groups of three), "$19.99". Money stays exact: no float on the way.
func parseDecimal(s string) (decimal.Decimal, error) {
	t := strings.TrimSpace(s)
	sign := ""
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		sign, t = t[:1], strings.TrimSpace(t[1:])
	}
	t = strings.TrimSpace(strings.TrimLeft(t, currencySymbols))
	t = sign + t
	if groupedNumber.MatchString(t) {
		t = strings.ReplaceAll(t, ",", "")
	}
	if t == "" {
		return decimal.Decimal{}, fmt.Errorf("%q is not a number", s)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a number", s)
	}
	return d, nil
}

// scale is the number of decimals a number was written with ("49.90": 2).
func scale(d decimal.Decimal) int32 {
	if e := d.Exponent(); e < 0 {
		return -e
	}
	return 0
}

// formatDecimal writes d with at least minScale decimals and no trailing
// zeros beyond them: 2.5 with minScale 2 is "2.50", 33.3333 stays as is.
func formatDecimal(d decimal.Decimal, minScale int32) string {
	s := d.String() // trims trailing zeros
	if scale(decimal.RequireFromString(s)) < minScale {
		return d.StringFixed(minScale)
	}
	return s
}

package steps

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(formatNumber{}) }

type formatNumberConfig struct {
	Operation string    `json:"operation"`
	Input     textValue `json:"input,omitempty"`
	// format and currency: decimals to round to (half away from zero);
	// format keeps the input's own when unset, currency the currency's.
	Decimals textValue `json:"decimals,omitempty"`
	// format: a locale ("de-DE") gives both separators; the two fields
	// override it. to_number: decimal_separator "," reads "1.234,50".
	Locale             string  `json:"locale,omitempty"`
	ThousandsSeparator *string `json:"thousands_separator,omitempty"`
	DecimalSeparator   *string `json:"decimal_separator,omitempty"`
	// currency: an ISO 4217 code ("EUR").
	Currency string `json:"currency,omitempty"`
	// phone_e164: the country of numbers written without a country code.
	Country string `json:"country,omitempty"`
	// random: the bounds, inclusive.
	Min textValue `json:"min,omitempty"`
	Max textValue `json:"max,omitempty"`
}

var formatNumberOperations = []string{"to_number", "format", "phone_e164", "currency", "random"}

// formatNumber turns text into numbers and numbers into text: reading a
// number out of text, grouping thousands, E.164 phones, money in a
// locale's style, and a random number that is the same on every retry.
type formatNumber struct{ noTargets }

func (formatNumber) Type() string { return "format_number" }
func (formatNumber) Remote() bool { return false }

// A random number or a formatted amount needs no contact.
func (formatNumber) ContactFree() bool { return true }

func (formatNumber) Validate(p *validation.Problems, s *definition.Step) {
	var c formatNumberConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if !required(p, "config.operation", c.Operation) {
		return
	}
	if !oneOf(c.Operation, formatNumberOperations) {
		p.Add("config.operation", "unknown operation %q (one of: %s)", c.Operation, strings.Join(formatNumberOperations, ", "))
		return
	}
	allowed := map[string][]string{
		"to_number":  {"input", "decimal_separator"},
		"format":     {"input", "decimals", "locale", "thousands_separator", "decimal_separator"},
		"phone_e164": {"input", "country"},
		"currency":   {"input", "decimals", "locale", "currency"},
		"random":     {"min", "max"},
	}[c.Operation]
	set := map[string]bool{"input": c.Input != "", "decimals": c.Decimals != "", "locale": c.Locale != "",
		"thousands_separator": c.ThousandsSeparator != nil, "decimal_separator": c.DecimalSeparator != nil,
		"currency": c.Currency != "", "country": c.Country != "", "min": c.Min != "", "max": c.Max != ""}
	for _, f := range sortedKeys(set) {
		if set[f] && !oneOf(f, allowed) {
			p.Add("config."+f, "is not used by %s (it takes: %s)", c.Operation, strings.Join(allowed, ", "))
		}
	}
	if oneOf("input", allowed) && required(p, "config.input", string(c.Input)) {
		checkTemplateValue(p, "config.input", c.Input)
	}
	if c.Decimals != "" {
		checkTemplateValue(p, "config.decimals", c.Decimals)
		if literal(c.Decimals) {
			if _, err := decimalsOf(string(c.Decimals)); err != nil {
				p.Add("config.decimals", "%s", err.Error())
			}
		}
	}
	if c.Locale != "" {
		checkTemplate(p, "config.locale", c.Locale)
		if literal(textValue(c.Locale)) {
			if _, err := localeStyle(c.Locale); err != nil {
				p.Add("config.locale", "%s", err.Error())
			}
		}
	}
	if c.DecimalSeparator != nil && *c.DecimalSeparator == "" {
		p.Add("config.decimal_separator", "must not be empty")
	}
	switch c.Operation {
	case "currency":
		if required(p, "config.currency", c.Currency) {
			checkTemplate(p, "config.currency", c.Currency)
			if literal(textValue(c.Currency)) {
				if _, err := currencyUnit(c.Currency); err != nil {
					p.Add("config.currency", "%s", err.Error())
				}
			}
		}
	case "phone_e164":
		checkTemplate(p, "config.country", c.Country)
	case "random":
		bounds := map[string]textValue{"config.min": c.Min, "config.max": c.Max}
		ok := true
		for _, path := range []string{"config.min", "config.max"} {
			v := bounds[path]
			if !required(p, path, string(v)) {
				ok = false
				continue
			}
			checkTemplateValue(p, path, v)
			if literal(v) {
				if _, err := integer(string(v)); err != nil {
					p.Add(path, "%s", err.Error())
					ok = false
				}
			}
		}
		if ok && literal(c.Min) && literal(c.Max) {
			lo, _ := integer(string(c.Min))
			hi, _ := integer(string(c.Max))
			if lo.Cmp(hi) > 0 {
				p.Add("config.max", "must be at least min (%s)", lo)
			}
		}
	}
}

func (formatNumber) Execute(_ context.Context, _ Env, call *Call) (Result, error) {
	var c formatNumberConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	if c.Operation == "random" {
		return randomNumber(call, c)
	}
	in, err := renderAt(call, "config.input", c.Input)
	if err != nil {
		return Result{}, err
	}
	var result string
	switch c.Operation {
	case "to_number":
		result, err = toNumber(in, c.DecimalSeparator)
	case "format":
		result, err = formatPlain(call, in, c)
	case "phone_e164":
		country, rerr := call.Render(c.Country)
		if rerr != nil {
			return Result{}, fail("config.country: %v", rerr)
		}
		if country = strings.ToUpper(strings.TrimSpace(country)); country == "" {
			country = "US"
		}
		result, err = contacts.NormalizePhone(in, country)
		if err == nil && result == "" {
			err = fmt.Errorf("the input is empty")
		}
		if err != nil {
			err = fail("config.input: %v", err)
		}
	case "currency":
		result, err = formatCurrency(call, in, c)
	default:
		err = fail("config.operation: unknown operation %q", c.Operation)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Output: map[string]any{"result": result}}, nil
}

// toNumber reads the number in text such as "$1,234.50 USD" or, with the
// decimal separator ",", "1.234,50 €": everything but digits, the sign and
// the decimal separator is dropped.
func toNumber(in string, sep *string) (string, error) {
	dec := "."
	if sep != nil {
		dec = *sep
	}
	var b strings.Builder
	seenDigit, seenSep := false, false
	rest := in
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, dec) && !seenSep:
			b.WriteByte('.')
			seenSep = true
			rest = rest[len(dec):]
			continue
		case rest[0] >= '0' && rest[0] <= '9':
			b.WriteByte(rest[0])
			seenDigit = true
		case rest[0] == '-' && !seenDigit && b.Len() == 0:
			b.WriteByte('-')
		}
		rest = rest[1:]
	}
	if !seenDigit {
		return "", fail("config.input: %q holds no number", in)
	}
	d, err := decimal.NewFromString(strings.TrimSuffix(b.String(), "."))
	if err != nil {
		return "", fail("config.input: %q holds no number", in)
	}
	return d.String(), nil
}

// formatPlain groups thousands and rounds: "1234567.891" with 2 decimals
// is "1,234,567.89" (en-US), "1.234.567,89" (de-DE).
func formatPlain(call *Call, in string, c formatNumberConfig) (string, error) {
	d, err := parseDecimal(in)
	if err != nil {
		return "", fail("config.input: %v", err)
	}
	places := scale(d)
	if c.Decimals != "" {
		if places, err = renderDecimals(call, c.Decimals); err != nil {
			return "", err
		}
	}
	style, err := renderLocale(call, c.Locale)
	if err != nil {
		return "", err
	}
	if c.ThousandsSeparator != nil {
		style.group = *c.ThousandsSeparator
	}
	if c.DecimalSeparator != nil {
		style.decimal = *c.DecimalSeparator
	}
	return style.number(d, places), nil
}

// randomNumber draws an integer in [min, max] from the step's idempotency
// key (enrollment, step, visit): a retry draws the same number, the next
// visit of a loop or another contact a new one.
func randomNumber(call *Call, c formatNumberConfig) (Result, error) {
	bounds := make([]*big.Int, 2)
	for i, f := range []struct {
		path string
		v    textValue
	}{{"config.min", c.Min}, {"config.max", c.Max}} {
		s, err := renderAt(call, f.path, f.v)
		if err != nil {
			return Result{}, err
		}
		if bounds[i], err = integer(s); err != nil {
			return Result{}, fail("%s: %v", f.path, err)
		}
	}
	lo, hi := bounds[0], bounds[1]
	if lo.Cmp(hi) > 0 {
		return Result{}, fail("config.max: %s is less than min %s", hi, lo)
	}
	sum := sha256.Sum256([]byte("format_number/random/" + call.IdempotencyKey))
	span := new(big.Int).Sub(hi, lo)
	span.Add(span, big.NewInt(1))
	// 256 random bits modulo the span: the bias is far below anything a
	// workflow could notice.
	n := new(big.Int).Mod(new(big.Int).SetBytes(sum[:]), span)
	n.Add(n, lo)
	return Result{Output: map[string]any{"result": n.String()}}, nil
}

// integer reads a whole number bound.
func integer(s string) (*big.Int, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return nil, err
	}
	if !d.Equal(d.Truncate(0)) {
		return nil, fmt.Errorf("%q is not a whole number", s)
	}
	return d.BigInt(), nil
}

// decimalsOf reads a number of decimal places.
func decimalsOf(s string) (int32, error) {
	n, err := integer(s)
	if err != nil || n.Sign() < 0 || n.Cmp(big.NewInt(20)) > 0 {
		return 0, fmt.Errorf("%q is not a number of decimals from 0 to 20", s)
	}
	return int32(n.Int64()), nil
}

func renderDecimals(call *Call, v textValue) (int32, error) {
	s, err := renderAt(call, "config.decimals", v)
	if err != nil {
		return 0, err
	}
	n, err := decimalsOf(s)
	if err != nil {
		return 0, fail("config.decimals: %v", err)
	}
	return n, nil
}

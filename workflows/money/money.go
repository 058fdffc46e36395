// Package money turns decimal amounts in major units ("49.00", as builders
// write them and as payment events carry them) into the integer minor units
// payment providers count in (4900), and back, exactly: no float on the way,
// so 0.1 + 0.2 never becomes a charge of 30 cents and a third of a yen.
package money

import (
	"fmt"
	"strings"
)

// Currencies whose smallest unit is not a hundredth, as Stripe counts them
// (https://docs.stripe.com/currencies#zero-decimal): their minor units are
// whole units, or thousandths.
var (
	zeroDecimal = map[string]bool{"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true,
		"krw": true, "mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true,
		"xof": true, "xpf": true}
	threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}
)

// maxDigits bounds an amount so its minor units always fit an int64 (and
// far exceed what any provider accepts, which then names its own limit).
const maxDigits = 15

// Normalize is the currency code as Stripe writes it: lower case, trimmed.
func Normalize(currency string) string { return strings.ToLower(strings.TrimSpace(currency)) }

// Known reports whether currency is an active ISO 4217 code (any case).
func Known(currency string) bool { return iso4217[Normalize(currency)] }

// Exponent is the number of decimals of a currency's major unit.
func Exponent(currency string) int {
	c := Normalize(currency)
	switch {
	case zeroDecimal[c]:
		return 0
	case threeDecimal[c]:
		return 3
	}
	return 2
}

// CheckCurrency explains why currency cannot be used, or returns nil.
func CheckCurrency(currency string) error {
	if strings.TrimSpace(currency) == "" {
		return fmt.Errorf("a currency is required (an ISO 4217 code such as usd, eur or jpy)")
	}
	if !Known(currency) {
		return fmt.Errorf("%q is not an ISO 4217 currency code (such as usd, eur or jpy)", currency)
	}
	return nil
}

// ToMinor converts a decimal amount in major units ("49.00", "1000" yen,
// "1.250" dinars) into minor units. It refuses anything that is not a plain
// non-negative decimal number (no sign, exponent, thousands separator or
// currency symbol: "1,000" could mean a thousand or one), and more
// significant decimals than the currency has: "49.001" dollars would have to
// be rounded, and a charge must never be rounded silently. Trailing zeros
// past the currency's decimals ("49.000") are exact and accepted.
func ToMinor(amount, currency string) (int64, error) {
	whole, frac, err := split(amount)
	if err != nil {
		return 0, err
	}
	exp := Exponent(currency)
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("%q has more decimals than %s has (%d)", amount, strings.ToUpper(Normalize(currency)), exp)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	n := strings.TrimLeft(whole+frac, "0")
	if len(n) > maxDigits {
		return 0, fmt.Errorf("%q is too large an amount", amount)
	}
	var minor int64
	for _, r := range n {
		minor = minor*10 + int64(r-'0')
	}
	return minor, nil
}

// MajorUnits writes an amount in minor units (4900 cents) as a decimal
// string in major units ("49.00"), exactly.
func MajorUnits(minor int64, currency string) string {
	exp := Exponent(currency)
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	if exp == 0 {
		return fmt.Sprintf("%s%d", sign, minor)
	}
	div := int64(1)
	for range exp {
		div *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, minor/div, exp, minor%div)
}

// CheckAmount reports an amount that is not a plain non-negative decimal
// number, whatever the currency (for when the currency is a template).
func CheckAmount(amount string) error {
	_, _, err := split(amount)
	return err
}

func split(amount string) (whole, frac string, err error) {
	whole, frac, hasPoint := strings.Cut(strings.TrimSpace(amount), ".")
	if whole == "" || (hasPoint && frac == "") || !digits(whole) || !digits(frac) {
		return "", "", fmt.Errorf("%q is not an amount: write a decimal number in major units, such as 49.00", amount)
	}
	return whole, frac, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

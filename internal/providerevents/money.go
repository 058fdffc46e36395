package providerevents

import (
	"fmt"
	"strings"
)

// Currencies whose smallest unit is not a hundredth, as Stripe counts them
// (https://docs.stripe.com/currencies): their minor units are whole units,
// or thousandths.
var (
	zeroDecimal = map[string]bool{"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true,
		"krw": true, "mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true,
		"xof": true, "xpf": true}
	threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}
)

// Exponent is the number of decimals of a currency's major unit.
func Exponent(currency string) int {
	c := strings.ToLower(currency)
	switch {
	case zeroDecimal[c]:
		return 0
	case threeDecimal[c]:
		return 3
	}
	return 2
}

// MajorUnits writes an amount in minor units (Stripe's integers: 4900 cents)
// as a decimal string in major units ("49.00"), exactly: no float on the way.
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

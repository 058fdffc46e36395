package money

import (
	"strings"
	"testing"
)

func TestToMinorIsExactPerCurrency(t *testing.T) {
	cases := []struct {
		amount, currency string
		want             int64
	}{
		{"49.00", "usd", 4900},
		{"49", "USD", 4900},
		{"49.5", "eur", 4950},
		{"0.10", "usd", 10},
		{"19.99", "gbp", 1999},
		{"49.000", "usd", 4900}, // trailing zeros are exact
		{" 12.30 ", "usd", 1230},
		{"1000", "jpy", 1000},
		{"1000.0", "JPY", 1000},
		{"1.250", "kwd", 1250},
		{"1.25", "kwd", 1250},
		{"007.10", "usd", 710},
		{"999999999999.99", "usd", 99999999999999},
	}
	for _, c := range cases {
		got, err := ToMinor(c.amount, c.currency)
		if err != nil || got != c.want {
			t.Errorf("ToMinor(%q, %s) = %d, %v; want %d", c.amount, c.currency, got, err, c.want)
		}
	}
}

func TestToMinorRefusesWhatItWouldHaveToGuessOrRound(t *testing.T) {
	cases := []struct{ amount, currency, contains string }{
		{"49.001", "usd", "more decimals than USD has (2)"},
		{"1000.5", "jpy", "more decimals than JPY has (0)"},
		{"1.2345", "kwd", "more decimals than KWD has (3)"},
		{"abc", "usd", "not an amount"},
		{"", "usd", "not an amount"},
		{"-5", "usd", "not an amount"},
		{"+5", "usd", "not an amount"},
		{"1,000", "usd", "not an amount"},
		{"$5", "usd", "not an amount"},
		{"1e3", "usd", "not an amount"},
		{"5.", "usd", "not an amount"},
		{".5", "usd", "not an amount"},
		{"1.2.3", "usd", "not an amount"},
		{"99999999999999999", "usd", "too large"},
	}
	for _, c := range cases {
		got, err := ToMinor(c.amount, c.currency)
		if err == nil || !strings.Contains(err.Error(), c.contains) {
			t.Errorf("ToMinor(%q, %s) = %d, %v; want an error mentioning %q", c.amount, c.currency, got, err, c.contains)
		}
	}
}

func TestMajorUnitsRoundTrips(t *testing.T) {
	for _, c := range []struct {
		minor    int64
		currency string
		want     string
	}{{4900, "usd", "49.00"}, {5, "usd", "0.05"}, {1000, "jpy", "1000"}, {1250, "kwd", "1.250"}, {-150, "eur", "-1.50"}} {
		if got := MajorUnits(c.minor, c.currency); got != c.want {
			t.Errorf("MajorUnits(%d, %s) = %q, want %q", c.minor, c.currency, got, c.want)
		}
		if c.minor >= 0 {
			if back, err := ToMinor(c.want, c.currency); err != nil || back != c.minor {
				t.Errorf("ToMinor(%q) = %d, %v; want %d", c.want, back, err, c.minor)
			}
		}
	}
}

func TestCurrencyCodes(t *testing.T) {
	for _, ok := range []string{"usd", "EUR", "jpy", "kwd", "chf", " gbp "} {
		if err := CheckCurrency(ok); err != nil {
			t.Errorf("CheckCurrency(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "us", "dollars", "xau", "xts", "abc"} {
		if CheckCurrency(bad) == nil {
			t.Errorf("CheckCurrency(%q) accepted it", bad)
		}
	}
}

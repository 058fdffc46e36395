package steps

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// numberStyle is how a locale writes numbers. The separators and group
// sizes come from CLDR through golang.org/x/text; the digits are ours,
// from exact decimals (x/text formats only floats, which would round
// large amounts).
type numberStyle struct {
	tag                language.Tag
	group, decimal     string
	primary, secondary int // group sizes: 3 and 3, or 3 and 2 in en-IN (12,34,567)
}

// localeStyle reads a BCP 47 locale ("en-US", "de-DE"); "" is en-US.
func localeStyle(locale string) (numberStyle, error) {
	if strings.TrimSpace(locale) == "" {
		locale = "en-US"
	}
	tag, err := language.Parse(strings.TrimSpace(locale))
	if err != nil {
		return numberStyle{}, fmt.Errorf("unknown locale %q: use a BCP 47 tag such as en-US or de-DE", locale)
	}
	// Learn the separators by formatting a probe: 1234567.5 reads
	// "1,234,567.5", "1.234.567,5" or "12,34,567.5".
	probe := message.NewPrinter(tag).Sprint(number.Decimal(1234567.5, number.Scale(1)))
	var runs []string // alternating digit and non-digit runs
	for _, r := range probe {
		digit := unicode.IsDigit(r)
		if n := len(runs); n > 0 && unicode.IsDigit([]rune(runs[n-1])[0]) == digit {
			runs[n-1] += string(r)
			continue
		}
		runs = append(runs, string(r))
	}
	st := numberStyle{tag: tag, group: ",", decimal: ".", primary: 3, secondary: 3}
	// runs: digits, sep, digits, ..., decimal separator, "5"
	if n := len(runs); n >= 3 {
		st.decimal = runs[n-2]
		var groups []string
		for i := 0; i < n-2; i += 2 {
			groups = append(groups, runs[i])
		}
		if len(groups) >= 2 {
			st.group = runs[1]
			st.primary = len(groups[len(groups)-1])
			st.secondary = len(groups[len(groups)-2])
		}
	}
	return st, nil
}

func renderLocale(call *Call, locale string) (numberStyle, error) {
	s, err := call.Render(locale)
	if err != nil {
		return numberStyle{}, fail("config.locale: %v", err)
	}
	st, err := localeStyle(s)
	if err != nil {
		return numberStyle{}, fail("config.locale: %v", err)
	}
	return st, nil
}

// number writes d rounded to places decimals (half away from zero) with
// the style's separators.
func (st numberStyle) number(d decimal.Decimal, places int32) string {
	s := d.Round(places).StringFixed(places)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var groups []string
	size := st.primary
	for len(intPart) > size && size > 0 {
		groups = append([]string{intPart[len(intPart)-size:]}, groups...)
		intPart = intPart[:len(intPart)-size]
		size = st.secondary
	}
	groups = append([]string{intPart}, groups...)
	out := strings.Join(groups, st.group)
	if frac != "" {
		out += st.decimal + frac
	}
	if neg && strings.Trim(out, "0"+st.group+st.decimal) != "" {
		out = "-" + out
	}
	return out
}

// symbolAfter are the languages that write the currency symbol after the
// amount ("1.234,50 €"); the others write it before ("$1,234.50", or with
// a space where the symbol is letters: "CHF 1’234.50").
var symbolAfter = map[string]bool{
	"de": true, "fr": true, "es": true, "it": true, "pt": true, "sv": true, "fi": true, "da": true, "nb": true,
	"no": true, "pl": true, "cs": true, "sk": true, "ru": true, "uk": true, "hu": true, "ro": true, "bg": true,
	"hr": true, "sl": true, "lt": true, "lv": true, "et": true, "el": true,
}

// symbolBefore are the regions of those languages that write it first all the same.
var symbolBefore = map[string]bool{"de-CH": true, "de-AT": true, "de-LI": true, "pt-BR": true, "it-CH": true}

func currencyUnit(code string) (currency.Unit, error) {
	u, err := currency.ParseISO(strings.ToUpper(strings.TrimSpace(code)))
	if err != nil {
		return currency.Unit{}, fmt.Errorf("unknown currency %q: use an ISO 4217 code such as USD or EUR", code)
	}
	return u, nil
}

// formatCurrency writes an amount the locale's way: en-US "$1,234.50",
// de-DE "1.234,50 €", ja-JP "￥1,235" (the currency's own decimals unless
// decimals says otherwise).
func formatCurrency(call *Call, in string, c formatNumberConfig) (string, error) {
	d, err := parseDecimal(in)
	if err != nil {
		return "", fail("config.input: %v", err)
	}
	code, err := call.Render(c.Currency)
	if err != nil {
		return "", fail("config.currency: %v", err)
	}
	unit, err := currencyUnit(code)
	if err != nil {
		return "", fail("config.currency: %v", err)
	}
	st, err := renderLocale(call, c.Locale)
	if err != nil {
		return "", err
	}
	places, _ := currency.Standard.Rounding(unit)
	if c.Decimals != "" {
		p, err := renderDecimals(call, c.Decimals)
		if err != nil {
			return "", err
		}
		places = int(p)
	}
	amount := st.number(d.Abs(), int32(places))
	symbol := message.NewPrinter(st.tag).Sprint(currency.Symbol(unit))
	sign := ""
	if d.IsNegative() && strings.Trim(amount, "0"+st.group+st.decimal) != "" {
		sign = "-"
	}
	base, _ := st.tag.Base()
	region, _ := st.tag.Region()
	switch {
	case symbolAfter[base.String()] && !symbolBefore[base.String()+"-"+region.String()]:
		return sign + amount + " " + symbol, nil
	case letters(symbol):
		return sign + symbol + " " + amount, nil
	}
	return sign + symbol + amount, nil
}

// letters reports a symbol written with letters ("CHF", "US$" is not).
func letters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

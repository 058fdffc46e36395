package steps

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(formatText{}) }

type formatTextConfig struct {
	Operation string    `json:"operation"`
	Input     textValue `json:"input"`
	// replace: every occurrence of find becomes replace_with.
	Find        string  `json:"find,omitempty"`
	ReplaceWith *string `json:"replace_with,omitempty"`
	// split: the part at index (0 first, -1 last) between delimiters.
	Delimiter *string   `json:"delimiter,omitempty"`
	Index     textValue `json:"index,omitempty"`
	// truncate: at most length characters, suffix ("...") included.
	Length textValue `json:"length,omitempty"`
	Suffix string    `json:"suffix,omitempty"`
	// extract_phone: the country of numbers without a country code (US).
	Country string `json:"country,omitempty"`
}

var formatTextOperations = []string{"upper", "lower", "title", "trim", "replace", "split",
	"extract_email", "extract_phone", "extract_url", "truncate"}

// formatText changes case, trims, replaces, splits, truncates, and finds
// the first email address, phone number or URL in a text.
type formatText struct{ noTargets }

func (formatText) Type() string      { return "format_text" }
func (formatText) Remote() bool      { return false }
func (formatText) ContactFree() bool { return true }

func (formatText) Validate(p *validation.Problems, s *definition.Step) {
	var c formatTextConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if !required(p, "config.operation", c.Operation) {
		return
	}
	if !oneOf(c.Operation, formatTextOperations) {
		p.Add("config.operation", "unknown operation %q (one of: %s)", c.Operation, strings.Join(formatTextOperations, ", "))
		return
	}
	allowed := map[string][]string{
		"replace": {"find", "replace_with"}, "split": {"delimiter", "index"},
		"truncate": {"length", "suffix"}, "extract_phone": {"country"},
	}[c.Operation]
	set := map[string]bool{"find": c.Find != "", "replace_with": c.ReplaceWith != nil, "delimiter": c.Delimiter != nil,
		"index": c.Index != "", "length": c.Length != "", "suffix": c.Suffix != "", "country": c.Country != ""}
	for _, f := range sortedKeys(set) {
		if set[f] && !oneOf(f, allowed) {
			if len(allowed) == 0 {
				p.Add("config."+f, "is not used by %s (it takes only input)", c.Operation)
			} else {
				p.Add("config."+f, "is not used by %s (it takes: input, %s)", c.Operation, strings.Join(allowed, ", "))
			}
		}
	}
	// The input may render empty (a missing field): an empty result then.
	checkTemplateValue(p, "config.input", c.Input)
	checkTemplate(p, "config.find", c.Find)
	checkTemplate(p, "config.suffix", c.Suffix)
	checkTemplate(p, "config.country", c.Country)
	if c.ReplaceWith != nil {
		checkTemplate(p, "config.replace_with", *c.ReplaceWith)
	}
	switch c.Operation {
	case "replace":
		required(p, "config.find", c.Find)
	case "split":
		if c.Delimiter == nil || *c.Delimiter == "" {
			p.Add("config.delimiter", "is required")
		} else {
			checkTemplate(p, "config.delimiter", *c.Delimiter)
		}
		if c.Index != "" {
			checkTemplateValue(p, "config.index", c.Index)
			if literal(c.Index) {
				if _, err := smallInt(string(c.Index)); err != nil {
					p.Add("config.index", "%s", err.Error())
				}
			}
		}
	case "truncate":
		if required(p, "config.length", string(c.Length)) {
			checkTemplateValue(p, "config.length", c.Length)
			if literal(c.Length) {
				if n, err := smallInt(string(c.Length)); err != nil || n < 1 {
					p.Add("config.length", "must be a whole number of characters, at least 1")
				}
			}
		}
	}
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	phonePattern = regexp.MustCompile(`\+?\(?\d[\d\s().-]{5,}\d`)
	urlPattern   = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'` + "`" + `]+`)
	titleCaser   = cases.Title(language.Und)
)

func (formatText) Execute(_ context.Context, _ Env, call *Call) (Result, error) {
	var c formatTextConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	in, err := call.Render(string(c.Input))
	if err != nil {
		return Result{}, fail("config.input: %v", err)
	}
	render := func(path, s string) (string, error) {
		out, err := call.Render(s)
		if err != nil {
			return "", fail("%s: %v", path, err)
		}
		return out, nil
	}
	out := map[string]any{}
	var result string
	switch c.Operation {
	case "upper":
		result = strings.ToUpper(in)
	case "lower":
		result = strings.ToLower(in)
	case "title":
		result = titleCaser.String(in)
	case "trim":
		result = strings.TrimSpace(in)
	case "replace":
		find, err := render("config.find", c.Find)
		if err != nil {
			return Result{}, err
		}
		with := ""
		if c.ReplaceWith != nil {
			if with, err = render("config.replace_with", *c.ReplaceWith); err != nil {
				return Result{}, err
			}
		}
		result = in
		if find != "" {
			result = strings.ReplaceAll(in, find, with)
		}
	case "split":
		delim, err := render("config.delimiter", *c.Delimiter)
		if err != nil || delim == "" {
			return Result{}, fail("config.delimiter: the delimiter rendered empty")
		}
		index := 0
		if c.Index != "" {
			s, err := renderAt(call, "config.index", c.Index)
			if err != nil {
				return Result{}, err
			}
			if index, err = smallInt(s); err != nil {
				return Result{}, fail("config.index: %v", err)
			}
		}
		parts := strings.Split(in, delim)
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if index < 0 {
			index += len(parts)
		}
		if index >= 0 && index < len(parts) {
			result = parts[index]
		}
		out["parts"] = parts
	case "extract_email":
		for _, m := range emailPattern.FindAllString(in, -1) {
			if a, err := mail.ParseAddress(m); err == nil {
				result = strings.ToLower(a.Address)
				break
			}
		}
	case "extract_phone":
		country, err := render("config.country", c.Country)
		if err != nil {
			return Result{}, err
		}
		if country = strings.ToUpper(strings.TrimSpace(country)); country == "" {
			country = "US"
		}
		// The first run of digits that is a possible number, in E.164.
		for _, m := range phonePattern.FindAllString(in, -1) {
			if e164, err := contacts.NormalizePhone(m, country); err == nil && e164 != "" {
				result = e164
				break
			}
		}
	case "extract_url":
		if m := urlPattern.FindString(in); m != "" {
			result = strings.TrimRight(m, ".,;:!?)]}")
		}
	case "truncate":
		s, err := renderAt(call, "config.length", c.Length)
		if err != nil {
			return Result{}, err
		}
		n, err := smallInt(s)
		if err != nil || n < 1 {
			return Result{}, fail("config.length: %q is not a whole number of characters, at least 1", s)
		}
		suffix, err := render("config.suffix", c.Suffix)
		if err != nil {
			return Result{}, err
		}
		result = truncate(in, n, suffix)
	default:
		return Result{}, fail("config.operation: unknown operation %q", c.Operation)
	}
	out["result"] = result
	if strings.HasPrefix(c.Operation, "extract_") {
		out["found"] = result != ""
	}
	return Result{Output: out}, nil
}

// truncate keeps at most n characters (not bytes), suffix included.
func truncate(s string, n int, suffix string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(suffix)
	if keep < 0 {
		keep, suffix = n, ""
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:keep]), " ") + suffix
}

// smallInt reads an index or a length.
func smallInt(s string) (int, error) {
	n, err := integer(s)
	if err != nil || !n.IsInt64() || n.Int64() > 1_000_000 || n.Int64() < -1_000_000 {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return int(n.Int64()), nil
}

package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// runStep validates a step's config and runs it with no Env: the data
// steps tested here compute only.
func runStep(t *testing.T, typ, config string, scope map[string]any, key string) (Result, error) {
	t.Helper()
	step := definition.Step{ID: "s1", Type: typ, Config: json.RawMessage(config)}
	k, ok := Lookup(typ)
	if !ok {
		t.Fatalf("%s is not registered", typ)
	}
	p := validation.NewProblems()
	k.Validate(p, &step)
	if errs := p.Errors(); errs != nil {
		t.Fatalf("%s %s: faults on save: %v", typ, config, errs)
	}
	if scope == nil {
		scope = map[string]any{}
	}
	if key == "" {
		key = "enr1/s1/1"
	}
	return k.(Action).Execute(context.Background(), nil, &Call{Step: step, Scope: scope, IdempotencyKey: key})
}

func result(t *testing.T, typ, config string) string {
	t.Helper()
	res, err := runStep(t, typ, config, nil, "")
	if err != nil {
		t.Fatalf("%s %s: %v", typ, config, err)
	}
	return fmt.Sprint(res.Output["result"])
}

func TestMathIsExact(t *testing.T) {
	cases := []struct{ config, want string }{
		{`{"operation": "add", "left": "0.10", "right": "0.20"}`, "0.30"},
		{`{"operation": "add", "left": "49.90", "right": 0.10}`, "50.00"},
		{`{"operation": "subtract", "left": "$1,234.50", "right": "234.5"}`, "1000.00"},
		{`{"operation": "multiply", "left": "19.99", "right": "3"}`, "59.97"},
		{`{"operation": "multiply", "left": "0.1", "right": "0.2"}`, "0.02"},
		{`{"operation": "divide", "left": "10", "right": "4"}`, "2.5"},
		{`{"operation": "divide", "left": "100.00", "right": "3"}`, "33.3333333333"},
		{`{"operation": "divide", "left": "10.00", "right": "4"}`, "2.50"},
		{`{"operation": "add", "left": "99999999999999999999.99", "right": "0.01"}`, "100000000000000000000.00"},
		{`{"operation": "subtract", "left": "-5", "right": "2.5"}`, "-7.5"},
	}
	for _, c := range cases {
		if got := result(t, "math", c.config); got != c.want {
			t.Errorf("math %s = %s, want %s", c.config, got, c.want)
		}
	}
}

func TestMathMovesDatesByCalendarUnits(t *testing.T) {
	cases := []struct{ config, want string }{
		{`{"operation": "add", "unit": "months", "left": "2026-01-31", "right": 1}`, "2026-02-28"},
		{`{"operation": "add", "unit": "months", "left": "2028-01-31", "right": "1"}`, "2028-02-29"},
		{`{"operation": "subtract", "unit": "months", "left": "2026-03-31", "right": 1}`, "2026-02-28"},
		{`{"operation": "add", "unit": "months", "left": "2026-08-31", "right": 13}`, "2027-09-30"},
		{`{"operation": "add", "unit": "years", "left": "2028-02-29", "right": 1}`, "2029-02-28"},
		{`{"operation": "add", "unit": "days", "left": "2026-12-30", "right": 3}`, "2027-01-02"},
		{`{"operation": "subtract", "unit": "days", "left": "2026-03-01T10:00:00-05:00", "right": 1}`, "2026-02-28T10:00:00-05:00"},
	}
	for _, c := range cases {
		if got := result(t, "math", c.config); got != c.want {
			t.Errorf("math %s = %s, want %s", c.config, got, c.want)
		}
	}
}

func TestMathRendersOperandsAndFailsPermanently(t *testing.T) {
	scope := map[string]any{"event": map[string]any{"amount": "49.99"}, "contact": map[string]any{"custom": map[string]any{"credit": "0"}}}
	res, err := runStep(t, "math", `{"operation": "multiply", "left": "{{event.amount}}", "right": "2"}`, scope, "")
	if err != nil || res.Output["result"] != "99.98" {
		t.Fatalf("templated operands: %v, %v", res.Output, err)
	}
	_, err = runStep(t, "math", `{"operation": "divide", "left": "{{event.amount}}", "right": "{{contact.custom.credit}}"}`, scope, "")
	var f *Failure
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "by zero") {
		t.Errorf("divide by a zero field: %v, want a permanent failure naming zero", err)
	}
	_, err = runStep(t, "math", `{"operation": "add", "left": "{{event.missing}}", "right": "1"}`, scope, "")
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "config.left") {
		t.Errorf("empty operand: %v, want a permanent failure at config.left", err)
	}
}

func TestFormatNumber(t *testing.T) {
	cases := []struct{ config, want string }{
		{`{"operation": "to_number", "input": "$1,234.50 USD"}`, "1234.5"},
		{`{"operation": "to_number", "input": "1.234,50 €", "decimal_separator": ","}`, "1234.5"},
		{`{"operation": "to_number", "input": "Total: -42"}`, "-42"},
		{`{"operation": "format", "input": "1234567.891", "decimals": 2}`, "1,234,567.89"},
		{`{"operation": "format", "input": "1234567.5", "locale": "de-DE"}`, "1.234.567,5"},
		{`{"operation": "format", "input": "1234567", "locale": "en-IN"}`, "12,34,567"},
		{`{"operation": "format", "input": "1234.5", "decimals": "2", "thousands_separator": " ", "decimal_separator": ","}`, "1 234,50"},
		{`{"operation": "format", "input": "2.345", "decimals": 2}`, "2.35"},
		{`{"operation": "format", "input": "-0.001", "decimals": 2}`, "0.00"},
		{`{"operation": "phone_e164", "input": "(415) 555-0123"}`, "+14155550123"},
		{`{"operation": "phone_e164", "input": "030 1234567", "country": "DE"}`, "+49301234567"},
		{`{"operation": "currency", "input": "1234.5", "currency": "USD", "locale": "en-US"}`, "$1,234.50"},
		{`{"operation": "currency", "input": "1234.5", "currency": "EUR", "locale": "de-DE"}`, "1.234,50 €"},
		{`{"operation": "currency", "input": "-1234.5", "currency": "EUR", "locale": "de-DE"}`, "-1.234,50 €"},
		{`{"operation": "currency", "input": "1234.5", "currency": "JPY", "locale": "ja-JP"}`, "￥1,235"},
		{`{"operation": "currency", "input": "1234.5", "currency": "CHF", "locale": "de-CH"}`, "CHF 1’234.50"},
		{`{"operation": "currency", "input": "0.1", "currency": "USD"}`, "$0.10"},
		{`{"operation": "currency", "input": "99999999999999999.99", "currency": "USD"}`, "$99,999,999,999,999,999.99"},
	}
	for _, c := range cases {
		if got := result(t, "format_number", c.config); got != c.want {
			t.Errorf("format_number %s = %q, want %q", c.config, got, c.want)
		}
	}
	_, err := runStep(t, "format_number", `{"operation": "phone_e164", "input": "{{contact.phone}}"}`,
		map[string]any{"contact": map[string]any{"phone": "12"}}, "")
	var f *Failure
	if !errors.As(err, &f) {
		t.Errorf("a bad phone: %v, want a permanent failure", err)
	}
}

func TestRandomNumberIsTheSameOnEveryRetry(t *testing.T) {
	cfg := `{"operation": "random", "min": 1, "max": 6}`
	seen := map[string]bool{}
	for visit := 1; visit <= 60; visit++ {
		key := fmt.Sprintf("enr1/s1/%d", visit)
		first, err := runStep(t, "format_number", cfg, nil, key)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := runStep(t, "format_number", cfg, nil, key)
		if first.Output["result"] != again.Output["result"] {
			t.Fatalf("visit %d drew %v then %v on a retry", visit, first.Output["result"], again.Output["result"])
		}
		n := first.Output["result"].(string)
		if n < "1" || n > "6" || len(n) != 1 {
			t.Fatalf("drew %s outside [1, 6]", n)
		}
		seen[n] = true
	}
	if len(seen) < 5 {
		t.Errorf("60 visits drew only %v: not spread over [1, 6]", seen)
	}
	if got := result(t, "format_number", `{"operation": "random", "min": "7", "max": "7"}`); got != "7" {
		t.Errorf("random in [7, 7] = %s", got)
	}
}

func TestFormatDate(t *testing.T) {
	cases := []struct{ config, want string }{
		{`{"operation": "format", "input": "2026-03-05", "format": "MMM D, YYYY"}`, "Mar 5, 2026"},
		{`{"operation": "format", "input": "2026-03-05T17:04:00Z", "format": "dddd, MMMM DD [at] h:mm A", "timezone": "America/New_York"}`, "Thursday, March 05 at 12:04 PM"},
		{`{"operation": "format", "input": "2026-03-05T17:04:00Z", "format": "YYYY-MM-DD HH:mm:ss Z"}`, "2026-03-05 17:04:00 +00:00"},
		{`{"operation": "format", "input": "2026-03-05T17:04:00Z", "format": "02/01/2006"}`, "05/03/2026"},
		// DST: New York is UTC-5 before March 8, 2026 and UTC-4 after.
		{`{"operation": "convert_timezone", "input": "2026-03-07T15:00:00Z", "to_timezone": "America/New_York"}`, "2026-03-07T10:00:00-05:00"},
		{`{"operation": "convert_timezone", "input": "2026-03-09T15:00:00Z", "to_timezone": "America/New_York"}`, "2026-03-09T11:00:00-04:00"},
		{`{"operation": "convert_timezone", "input": "2026-03-29 09:00", "from_timezone": "Europe/Paris", "to_timezone": "America/Los_Angeles", "format": "YYYY-MM-DD HH:mm z"}`, "2026-03-29 00:00 PDT"},
		{`{"operation": "convert_timezone", "input": "2026-11-01 01:30", "from_timezone": "UTC", "to_timezone": "Australia/Sydney"}`, "2026-11-01T12:30:00+11:00"},
	}
	for _, c := range cases {
		if got := result(t, "format_date", c.config); got != c.want {
			t.Errorf("format_date %s = %q, want %q", c.config, got, c.want)
		}
	}
}

func TestFormatDateCompare(t *testing.T) {
	cases := []struct {
		config, want string
		days         int
	}{
		{`{"operation": "compare", "input": "2026-03-01", "other": "2026-03-10"}`, "before", -9},
		{`{"operation": "compare", "input": "2026-03-10", "other": "2026-03-01"}`, "after", 9},
		{`{"operation": "compare", "input": "2026-03-01", "other": "2026-03-01T23:00:00Z"}`, "same", 0},
		{`{"operation": "compare", "input": "2026-03-01T10:00:00Z", "other": "2026-03-01T09:00:00Z"}`, "after", 0},
		{`{"operation": "compare", "input": "2024-02-28", "other": "2024-03-01"}`, "before", -2},
		{`{"operation": "compare", "input": "2999-01-01"}`, "after", 0}, // against now
	}
	for _, c := range cases {
		res, err := runStep(t, "format_date", c.config, nil, "")
		if err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		if res.Output["result"] != c.want || (c.days != 0 && res.Output["days"] != c.days) {
			t.Errorf("compare %s = %v, want %s and %d days", c.config, res.Output, c.want, c.days)
		}
	}
}

func TestFormatText(t *testing.T) {
	cases := []struct{ config, want string }{
		{`{"operation": "upper", "input": "ada lovelace"}`, "ADA LOVELACE"},
		{`{"operation": "lower", "input": "ADA@Example.COM"}`, "ada@example.com"},
		{`{"operation": "title", "input": "ada lovelace"}`, "Ada Lovelace"},
		{`{"operation": "trim", "input": "  hi  "}`, "hi"},
		{`{"operation": "replace", "input": "a-b-c", "find": "-", "replace_with": " + "}`, "a + b + c"},
		{`{"operation": "replace", "input": "a-b-c", "find": "-"}`, "abc"},
		{`{"operation": "split", "input": "Ada, Grace, Linus", "delimiter": ",", "index": 1}`, "Grace"},
		{`{"operation": "split", "input": "Ada, Grace, Linus", "delimiter": ",", "index": -1}`, "Linus"},
		{`{"operation": "split", "input": "Ada", "delimiter": ",", "index": 5}`, ""},
		{`{"operation": "extract_email", "input": "Write to Ada.L@Example.com, not me"}`, "ada.l@example.com"},
		{`{"operation": "extract_phone", "input": "call (415) 555-0123 today"}`, "+14155550123"},
		{`{"operation": "extract_phone", "input": "tel. +44 20 7946 0958."}`, "+442079460958"},
		{`{"operation": "extract_url", "input": "See https://example.com/a?b=1. Thanks"}`, "https://example.com/a?b=1"},
		{`{"operation": "extract_url", "input": "no link here"}`, ""},
		{`{"operation": "truncate", "input": "Hello wonderful world", "length": 12, "suffix": "..."}`, "Hello won..."},
		{`{"operation": "truncate", "input": "Grüße aus Köln", "length": 5}`, "Grüße"},
		{`{"operation": "truncate", "input": "short", "length": "10"}`, "short"},
	}
	for _, c := range cases {
		if got := result(t, "format_text", c.config); got != c.want {
			t.Errorf("format_text %s = %q, want %q", c.config, got, c.want)
		}
	}
	res, _ := runStep(t, "format_text", `{"operation": "split", "input": "a|b", "delimiter": "|"}`, nil, "")
	if parts, _ := res.Output["parts"].([]string); len(parts) != 2 || res.Output["result"] != "a" {
		t.Errorf("split output = %v", res.Output)
	}
	res, _ = runStep(t, "format_text", `{"operation": "extract_email", "input": "{{event.body}}"}`, map[string]any{"event": map[string]any{"body": "none"}}, "")
	if res.Output["found"] != false || res.Output["result"] != "" {
		t.Errorf("nothing to extract = %v", res.Output)
	}
}

func TestCustomCodeRunsInputsToOutput(t *testing.T) {
	scope := map[string]any{"contact": map[string]any{"first_name": "ada"}}
	res, err := runStep(t, "custom_code", `{"code": "const n = inputs.name; return {greeting: 'Hi ' + n.toUpperCase(), length: n.length, nested: {ok: true}}",
		"inputs": {"name": "{{contact.first_name}}"}}`, scope, "")
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output["output"].(map[string]any)
	if out["greeting"] != "Hi ADA" || out["length"] != 3.0 || out["nested"].(map[string]any)["ok"] != true {
		t.Errorf("output = %v", out)
	}
	res, err = runStep(t, "custom_code", `{"code": "output = {sum: Number(inputs.a) + Number(inputs.b)}", "inputs": {"a": "2", "b": "40"}}`, nil, "")
	if err != nil || res.Output["output"].(map[string]any)["sum"] != 42.0 {
		t.Errorf("output set by assignment = %v, %v", res.Output, err)
	}
	_, err = runStep(t, "custom_code", `{"code": "\nconst x = null;\nreturn {v: x.field};"}`, nil, "")
	var f *Failure
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "TypeError") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("exception: %v, want a permanent TypeError at line 3", err)
	}
}

// Each data step reports its config faults on save by JSON path.
func TestDataStepFaultsAreNamedOnSave(t *testing.T) {
	cases := []struct{ typ, config, path, contains string }{
		{"math", `{"operation": "power", "left": "1", "right": "2"}`, "config.operation", "unknown operation"},
		{"math", `{"operation": "add", "left": "abc", "right": "2"}`, "config.left", "not a number"},
		{"math", `{"operation": "divide", "left": "1", "right": "0.00"}`, "config.right", "zero"},
		{"math", `{"operation": "multiply", "unit": "days", "left": "2026-01-01", "right": "2"}`, "config.operation", "dates"},
		{"math", `{"operation": "add", "unit": "weeks", "left": "2026-01-01", "right": "2"}`, "config.unit", "unknown unit"},
		{"math", `{"operation": "add", "unit": "days", "left": "tomorrow", "right": "2"}`, "config.left", "not a date"},
		{"math", `{"operation": "add", "unit": "days", "left": "2026-01-01", "right": "1.5"}`, "config.right", "whole number"},
		{"math", `{"operation": "add", "left": "1", "right": "2", "target": "score"}`, "config.target", "unknown contact field"},
		{"math", `{"operation": "add", "left": {"a": 1}, "right": "2"}`, "config.left", "must be a string"},
		{"math", `{"operation": "add", "left": "{{ contact.x", "right": "2"}`, "config.left", "parse"},
		{"math", `{"operation": "add", "right": "2"}`, "config.left", "required"},
		{"format_number", `{"operation": "currency", "input": "1", "currency": "EURO"}`, "config.currency", "unknown currency"},
		{"format_number", `{"operation": "currency", "input": "1"}`, "config.currency", "required"},
		{"format_number", `{"operation": "format", "input": "1", "locale": "not a locale"}`, "config.locale", "unknown locale"},
		{"format_number", `{"operation": "format", "input": "1", "decimals": 40}`, "config.decimals", "0 to 20"},
		{"format_number", `{"operation": "random", "min": 10, "max": 1}`, "config.max", "at least min"},
		{"format_number", `{"operation": "random", "min": 1.5, "max": 3}`, "config.min", "whole number"},
		{"format_number", `{"operation": "to_number", "input": "1", "currency": "USD"}`, "config.currency", "not used by to_number"},
		{"format_date", `{"operation": "format", "input": "2026-01-01"}`, "config.format", "required"},
		{"format_date", `{"operation": "convert_timezone", "input": "2026-01-01", "to_timezone": "Mars/Base"}`, "config.to_timezone", "unknown timezone"},
		{"format_date", `{"operation": "compare", "input": "someday"}`, "config.input", "not a date"},
		{"format_date", `{"operation": "shift", "input": "2026-01-01"}`, "config.operation", "unknown operation"},
		{"format_text", `{"operation": "split", "input": "a"}`, "config.delimiter", "required"},
		{"format_text", `{"operation": "truncate", "input": "a", "length": 0}`, "config.length", "at least 1"},
		{"format_text", `{"operation": "replace", "input": "a"}`, "config.find", "required"},
		{"format_text", `{"operation": "upper", "input": "a", "find": "x"}`, "config.find", "not used"},
		{"update_custom_value", `{"key": "office phone", "value": "x"}`, "config.key", "not a key"},
		{"update_custom_value", `{"value": "x"}`, "config.key", "required"},
		{"custom_code", `{"code": "return {a: 1"}`, "config.code", "SyntaxError"},
		{"custom_code", `{"code": "let x = 1;\nlet y = ;"}`, "config.code", "line 2"},
		{"custom_code", `{"code": ""}`, "config.code", "required"},
		{"custom_code", `{"code": "return {}", "inputs": {"a": "{{ x"}}`, "config.inputs.a", "parse"},
		{"ai_prompt", `{"prompt": "hi", "model": "m", "temperature": 2.5}`, "config.temperature", "0 to 2"},
		{"ai_prompt", `{"model": "m"}`, "config.prompt", "required"},
		{"ai_prompt", `{"prompt": "hi"}`, "config.model", "required"},
	}
	for _, c := range cases {
		k, _ := Lookup(c.typ)
		p := validation.NewProblems()
		k.Validate(p, &definition.Step{ID: "s1", Type: c.typ, Config: json.RawMessage(c.config)})
		found := false
		for _, e := range p.Errors() {
			if e.Path == c.path && strings.Contains(e.Message, c.contains) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s: faults %v, want %s containing %q", c.typ, c.config, p.Errors(), c.path, c.contains)
		}
	}
}

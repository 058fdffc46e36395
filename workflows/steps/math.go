package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(mathStep{}) }

type mathConfig struct {
	Operation string    `json:"operation"`
	Left      textValue `json:"left"`
	Right     textValue `json:"right"`
	// Unit makes it date arithmetic: left is a date or time, right a whole
	// number of days, months or years to add or subtract.
	Unit string `json:"unit,omitempty"`
	// Target is a contact field ("custom.score", "first_name") the result
	// is also written to, through the contacts service.
	Target string `json:"target,omitempty"`
}

var (
	mathOperations = []string{"add", "subtract", "multiply", "divide"}
	mathUnits      = []string{"days", "months", "years"}
)

// divisionScale is how many decimals a division keeps when it does not
// come out even (10 / 3 = 3.3333333333).
const divisionScale = 10

// mathStep adds, subtracts, multiplies or divides exact decimals (money
// included: 0.10 + 0.20 is 0.30), or moves a date by calendar units.
type mathStep struct{ noTargets }

func (mathStep) Type() string { return "math" }
func (mathStep) Remote() bool { return false }

func (mathStep) Validate(p *validation.Problems, s *definition.Step) {
	var c mathConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if required(p, "config.operation", c.Operation) && !oneOf(c.Operation, mathOperations) {
		p.Add("config.operation", "unknown operation %q (one of: %s)", c.Operation, strings.Join(mathOperations, ", "))
	}
	if c.Unit != "" {
		if !oneOf(c.Unit, mathUnits) {
			p.Add("config.unit", "unknown unit %q (one of: %s)", c.Unit, strings.Join(mathUnits, ", "))
		} else if c.Operation != "" && c.Operation != "add" && c.Operation != "subtract" {
			p.Add("config.operation", "dates can only be added to or subtracted from, not %q", c.Operation)
		}
	}
	for _, f := range []struct {
		path string
		v    textValue
	}{{"config.left", c.Left}, {"config.right", c.Right}} {
		if !required(p, f.path, string(f.v)) {
			continue
		}
		checkTemplateValue(p, f.path, f.v)
		if !literal(f.v) {
			continue
		}
		switch {
		case c.Unit != "" && f.path == "config.left":
			if _, _, err := parseTime(string(f.v), time.UTC); err != nil {
				p.Add(f.path, "%s", err.Error())
			}
		case c.Unit != "":
			if _, err := wholeNumber(string(f.v)); err != nil {
				p.Add(f.path, "%s", err.Error())
			}
		default:
			if _, err := parseDecimal(string(f.v)); err != nil {
				p.Add(f.path, "%s", err.Error())
			}
		}
	}
	if c.Operation == "divide" && c.Unit == "" && literal(c.Right) {
		if d, err := parseDecimal(string(c.Right)); err == nil && d.IsZero() {
			p.Add("config.right", "dividing by zero has no result")
		}
	}
	if c.Target != "" {
		checkContactField(p, "config.target", c.Target)
	}
}

// checkContactField reports a field that a step cannot write.
func checkContactField(p *validation.Problems, path, field string) bool {
	if !ContactFields[field] && (!strings.HasPrefix(field, "custom.") || len(field) == len("custom.")) {
		p.Add(path, "unknown contact field %q (standard fields: first_name, last_name, email, phone, timezone, date_of_birth; custom fields: custom.<key>)", field)
		return false
	}
	return true
}

func (mathStep) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c mathConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	left, err := renderAt(call, "config.left", c.Left)
	if err != nil {
		return Result{}, err
	}
	right, err := renderAt(call, "config.right", c.Right)
	if err != nil {
		return Result{}, err
	}
	var result string
	if c.Unit != "" {
		result, err = dateMath(c.Operation, c.Unit, left, right)
	} else {
		result, err = numberMath(c.Operation, left, right)
	}
	if err != nil {
		return Result{}, err
	}
	out := map[string]any{"result": result}
	if c.Target != "" {
		// The contacts service makes this idempotent: writing the same value
		// again on a retry changes nothing and raises no second event.
		if _, err := env.UpdateContact(ctx, call, map[string]string{c.Target: result}); err != nil {
			return Result{}, fmt.Errorf("writing the result to %s: %w", c.Target, err)
		}
		out["target"] = c.Target
	}
	return Result{Output: out}, nil
}

// numberMath computes exactly. Sums keep the larger number of decimals
// ("49.90" + "0.10" = "50.00"), products the sum of both, quotients up to
// divisionScale decimals, never fewer than their operands had.
func numberMath(op, left, right string) (string, error) {
	l, err := parseDecimal(left)
	if err != nil {
		return "", fail("config.left: %v", err)
	}
	r, err := parseDecimal(right)
	if err != nil {
		return "", fail("config.right: %v", err)
	}
	keep := max(scale(l), scale(r))
	switch op {
	case "add":
		return formatDecimal(l.Add(r), keep), nil
	case "subtract":
		return formatDecimal(l.Sub(r), keep), nil
	case "multiply":
		return formatDecimal(l.Mul(r), scale(l)+scale(r)), nil
	case "divide":
		if r.IsZero() {
			return "", fail("config.right: cannot divide %s by zero", left)
		}
		return formatDecimal(l.DivRound(r, max(divisionScale, keep)), keep), nil
	}
	return "", fail("config.operation: unknown operation %q", op)
}

// dateMath moves a date or time by whole calendar units. Months and years
// end on the last day of a shorter month rather than spilling over.
func dateMath(op, unit, left, right string) (string, error) {
	t, dateOnly, err := parseTime(left, time.UTC)
	if err != nil {
		return "", fail("config.left: %v", err)
	}
	n, err := wholeNumber(right)
	if err != nil {
		return "", fail("config.right: %v", err)
	}
	switch op {
	case "add":
	case "subtract":
		n = -n
	default:
		return "", fail("config.operation: dates can only be added to or subtracted from, not %q", op)
	}
	switch unit {
	case "days":
		t = t.AddDate(0, 0, n)
	case "months":
		t = addMonths(t, n)
	case "years":
		t = addMonths(t, 12*n)
	default:
		return "", fail("config.unit: unknown unit %q", unit)
	}
	return formatTime(t, dateOnly), nil
}

// wholeNumber reads a count of calendar units.
func wholeNumber(s string) (int, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return 0, err
	}
	if !d.Equal(d.Truncate(0)) || d.Abs().GreaterThan(decimal.NewFromInt(100000)) {
		return 0, fmt.Errorf("%q is not a whole number of units (at most 100000)", s)
	}
	return int(d.IntPart()), nil
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

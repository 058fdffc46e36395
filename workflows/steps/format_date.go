package steps

import (
	"context"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(formatDate{}) }

type formatDateConfig struct {
	Operation string    `json:"operation"`
	Input     textValue `json:"input"`
	// Format is the output layout: tokens ("MMM D, YYYY", "h:mm A") or a Go
	// layout ("Jan 2, 2006"). Required by format, optional for
	// convert_timezone (RFC 3339 without it).
	Format string `json:"format,omitempty"`
	// Timezone: format shows the time in it; compare reads dates without
	// an offset in it. From/to are convert_timezone's zones; from_timezone
	// only matters for inputs without an offset.
	Timezone     string `json:"timezone,omitempty"`
	FromTimezone string `json:"from_timezone,omitempty"`
	ToTimezone   string `json:"to_timezone,omitempty"`
	// Other is what compare compares input with; now when empty.
	Other textValue `json:"other,omitempty"`
}

var formatDateOperations = []string{"format", "convert_timezone", "compare"}

// formatDate formats dates, converts them between timezones (daylight
// saving time included) and compares two of them.
type formatDate struct{ noTargets }

func (formatDate) Type() string      { return "format_date" }
func (formatDate) Remote() bool      { return false }
func (formatDate) ContactFree() bool { return true }

func (formatDate) Validate(p *validation.Problems, s *definition.Step) {
	var c formatDateConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if !required(p, "config.operation", c.Operation) {
		return
	}
	if !oneOf(c.Operation, formatDateOperations) {
		p.Add("config.operation", "unknown operation %q (one of: %s)", c.Operation, strings.Join(formatDateOperations, ", "))
		return
	}
	allowed := map[string][]string{
		"format":           {"input", "format", "timezone"},
		"convert_timezone": {"input", "format", "from_timezone", "to_timezone"},
		"compare":          {"input", "other", "timezone"},
	}[c.Operation]
	set := map[string]bool{"format": c.Format != "", "timezone": c.Timezone != "", "from_timezone": c.FromTimezone != "",
		"to_timezone": c.ToTimezone != "", "other": c.Other != ""}
	for _, f := range sortedKeys(set) {
		if set[f] && !oneOf(f, allowed) {
			p.Add("config."+f, "is not used by %s (it takes: %s)", c.Operation, strings.Join(allowed, ", "))
		}
	}
	if required(p, "config.input", string(c.Input)) {
		checkTemplateValue(p, "config.input", c.Input)
		if literal(c.Input) {
			if _, _, err := parseTime(string(c.Input), time.UTC); err != nil {
				p.Add("config.input", "%s", err.Error())
			}
		}
	}
	if c.Operation == "format" {
		required(p, "config.format", c.Format)
	}
	checkTemplate(p, "config.format", c.Format)
	checkTemplateValue(p, "config.other", c.Other)
	zones := map[string]string{"config.timezone": c.Timezone, "config.from_timezone": c.FromTimezone, "config.to_timezone": c.ToTimezone}
	if c.Operation == "convert_timezone" {
		required(p, "config.to_timezone", c.ToTimezone)
	}
	for _, path := range sortedKeys(zones) {
		z := zones[path]
		checkTemplate(p, path, z)
		if z != "" && literal(textValue(z)) {
			if _, err := loadZone(z); err != nil {
				p.Add(path, "%s", err.Error())
			}
		}
	}
}

func (formatDate) Execute(_ context.Context, _ Env, call *Call) (Result, error) {
	var c formatDateConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	in, err := renderAt(call, "config.input", c.Input)
	if err != nil {
		return Result{}, err
	}
	zone := func(path, name string) (*time.Location, error) {
		s, err := call.Render(name)
		if err != nil {
			return nil, fail("%s: %v", path, err)
		}
		loc, err := loadZone(s)
		if err != nil {
			return nil, fail("%s: %v", path, err)
		}
		return loc, nil
	}
	switch c.Operation {
	case "format":
		loc, err := zone("config.timezone", c.Timezone)
		if err != nil {
			return Result{}, err
		}
		t, dateOnly, err := parseTime(in, loc)
		if err != nil {
			return Result{}, fail("config.input: %v", err)
		}
		if c.Timezone != "" && !dateOnly {
			t = t.In(loc)
		}
		layout, err := call.Render(c.Format)
		if err != nil {
			return Result{}, fail("config.format: %v", err)
		}
		return Result{Output: map[string]any{"result": t.Format(goLayout(layout))}}, nil
	case "convert_timezone":
		from, err := zone("config.from_timezone", c.FromTimezone)
		if err != nil {
			return Result{}, err
		}
		to, err := zone("config.to_timezone", c.ToTimezone)
		if err != nil {
			return Result{}, err
		}
		t, _, err := parseTime(in, from)
		if err != nil {
			return Result{}, fail("config.input: %v", err)
		}
		t = t.In(to)
		layout := time.RFC3339
		if c.Format != "" {
			f, err := call.Render(c.Format)
			if err != nil {
				return Result{}, fail("config.format: %v", err)
			}
			layout = goLayout(f)
		}
		return Result{Output: map[string]any{"result": t.Format(layout), "timezone": to.String()}}, nil
	case "compare":
		loc, err := zone("config.timezone", c.Timezone)
		if err != nil {
			return Result{}, err
		}
		return compareDates(call, in, c.Other, loc)
	}
	return Result{}, fail("config.operation: unknown operation %q", c.Operation)
}

// compareDates says whether input is before, after or the same as other
// (now when empty), and how many calendar days lie between them: days is
// positive when input is after other. When either is a plain date, they
// are compared as dates, so "2026-03-01" is the same as any time that day.
func compareDates(call *Call, in string, otherV textValue, loc *time.Location) (Result, error) {
	a, aDate, err := parseTime(in, loc)
	if err != nil {
		return Result{}, fail("config.input: %v", err)
	}
	other, err := renderAt(call, "config.other", otherV)
	if err != nil {
		return Result{}, err
	}
	b, bDate := call.Time().In(loc), false
	if other != "" {
		if b, bDate, err = parseTime(other, loc); err != nil {
			return Result{}, fail("config.other: %v", err)
		}
	}
	// Calendar days in one zone: the input's own when it has an offset.
	zoneOf := loc
	if !aDate {
		zoneOf = a.Location()
	}
	ay, am, ad := a.In(zoneOf).Date()
	by, bm, bd := b.In(zoneOf).Date()
	if aDate {
		ay, am, ad = a.Date()
	}
	if bDate {
		by, bm, bd = b.Date()
	}
	dayA := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	dayB := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	days := int(dayA.Sub(dayB).Hours() / 24)
	var cmp int
	if aDate || bDate {
		cmp = dayA.Compare(dayB)
	} else {
		cmp = a.Compare(b)
	}
	result := map[int]string{-1: "before", 0: "same", 1: "after"}[cmp]
	return Result{Output: map[string]any{"result": result, "days": days}}, nil
}

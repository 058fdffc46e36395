package condition

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/validation"
)

// nowFormats are the fields of now.* and how their values are written
// (NowFields): a value in another form can never match, so it is refused
// on save ("friday" is never the day "fri").
var nowFormats = map[string]struct {
	valid func(string) bool
	want  string
}{
	"now.day_of_week": {func(s string) bool { return dayNames[strings.ToLower(s)] }, "a day as mon, tue, wed, thu, fri, sat or sun"},
	"now.time":        {func(s string) bool { return clockPattern.MatchString(s) }, `a 24-hour time as HH:MM, e.g. "09:00" or "17:30"`},
	"now.date":        {func(s string) bool { _, err := time.Parse(time.DateOnly, s); return err == nil }, `a date as YYYY-MM-DD, e.g. "2027-01-04"`},
	"now.iso":         {func(string) bool { return true }, ""},
}

var (
	dayNames     = map[string]bool{"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true}
	clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// comparedWhole are the operators that compare the whole value, whose
// literals must be in the field's form (contains and the like take parts).
var comparedWhole = map[string]bool{"is": true, "is_not": true, "in": true, "not_in": true, "gt": true, "gte": true,
	"lt": true, "lte": true, "between": true}

// validateNow checks a leaf on now.*: a known field, and literal values in
// the form that field is written in.
func validateNow(p *validation.Problems, n *Node) {
	f, known := nowFormats[n.Field]
	if !known {
		p.Add("field", "unknown field %q (now.day_of_week, now.time, now.date or now.iso)", n.Field)
		return
	}
	if f.want == "" || !comparedWhole[n.Op] {
		return
	}
	check := func(path string, v any) {
		s, ok := v.(string)
		if ok && (strings.Contains(s, "{{") || f.valid(strings.TrimSpace(s))) {
			return
		}
		p.Add(path, "%s is %s, so %s never matches it", n.Field, f.want, describe(v))
	}
	if list, ok := n.Value.([]any); ok {
		for i, v := range list {
			check(fmt.Sprintf("value[%d]", i), v)
		}
		return
	}
	check("value", n.Value)
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

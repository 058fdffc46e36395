package condition

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// operator is one comparison: how its value is checked on save and how it
// compares at run time. Adding an operator means adding one entry here.
type operator struct {
	check func(value any) error
	eval  func(field any, value any, now time.Time) bool
}

var operators = map[string]operator{
	"is":           {needScalar, func(f, v any, _ time.Time) bool { return anyElem(f, func(x any) bool { return equal(x, v) }) }},
	"is_not":       {needScalar, func(f, v any, _ time.Time) bool { return !anyElem(f, func(x any) bool { return equal(x, v) }) }},
	"contains":     {needScalar, func(f, v any, _ time.Time) bool { return contains(f, v) }},
	"not_contains": {needScalar, func(f, v any, _ time.Time) bool { return !contains(f, v) }},
	"starts_with": {needScalar, func(f, v any, _ time.Time) bool {
		return anyElem(f, func(x any) bool { return strings.HasPrefix(lower(x), lower(v)) })
	}},
	"ends_with": {needScalar, func(f, v any, _ time.Time) bool {
		return anyElem(f, func(x any) bool { return strings.HasSuffix(lower(x), lower(v)) })
	}},
	"is_empty":     {needNone, func(f, _ any, _ time.Time) bool { return isEmpty(f) }},
	"is_not_empty": {needNone, func(f, _ any, _ time.Time) bool { return !isEmpty(f) }},
	"gt":           {needScalar, func(f, v any, _ time.Time) bool { c, ok := compare(f, v); return ok && c > 0 }},
	"gte":          {needScalar, func(f, v any, _ time.Time) bool { c, ok := compare(f, v); return ok && c >= 0 }},
	"lt":           {needScalar, func(f, v any, _ time.Time) bool { c, ok := compare(f, v); return ok && c < 0 }},
	"lte":          {needScalar, func(f, v any, _ time.Time) bool { c, ok := compare(f, v); return ok && c <= 0 }},
	"between": {needPair, func(f, v any, _ time.Time) bool {
		b := v.([]any)
		lo, ok1 := compare(f, b[0])
		hi, ok2 := compare(f, b[1])
		return ok1 && ok2 && lo >= 0 && hi <= 0
	}},
	"in": {needList, func(f, v any, _ time.Time) bool {
		return anyElem(f, func(x any) bool { return slices.ContainsFunc(v.([]any), func(w any) bool { return equal(x, w) }) })
	}},
	"not_in": {needList, func(f, v any, _ time.Time) bool {
		return !anyElem(f, func(x any) bool { return slices.ContainsFunc(v.([]any), func(w any) bool { return equal(x, w) }) })
	}},
	"before": {needDate, func(f, v any, _ time.Time) bool {
		return timeCmp(f, v, func(a, b time.Time) bool { return a.Before(b) })
	}},
	"after": {needDate, func(f, v any, _ time.Time) bool {
		return timeCmp(f, v, func(a, b time.Time) bool { return a.After(b) })
	}},
	"on": {needDate, func(f, v any, _ time.Time) bool {
		return timeCmp(f, v, func(a, b time.Time) bool { return a.Format(time.DateOnly) == b.Format(time.DateOnly) })
	}},
	"within_last": {needDuration, func(f, v any, now time.Time) bool {
		t, ok := toTime(f)
		d, err := parseDuration(v)
		return ok && err == nil && !t.After(now) && now.Sub(t) <= d
	}},
	"has_tag":     {needScalar, func(f, v any, _ time.Time) bool { return hasTag(f, v) }},
	"not_has_tag": {needScalar, func(f, v any, _ time.Time) bool { return !hasTag(f, v) }},
	"matches": {needRegexp, func(f, v any, _ time.Time) bool {
		re, err := regexp.Compile(fmt.Sprint(v))
		return err == nil && anyElem(f, func(x any) bool { return x != nil && re.MatchString(toString(x)) })
	}},
}

// OperatorNames lists the operators, sorted, for error messages and docs.
func OperatorNames() []string {
	names := make([]string, 0, len(operators))
	for n := range operators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func needDuration(v any) error {
	if _, err := parseDuration(v); err != nil {
		return fmt.Errorf("value must be a duration such as 3d or 12h")
	}
	return nil
}

// anyElem applies pred to a scalar, or to each element of a list (so "is" on
// contact.tags means "one of the tags is").
func anyElem(f any, pred func(any) bool) bool {
	if l, ok := f.([]any); ok {
		return slices.ContainsFunc(l, pred)
	}
	if l, ok := f.([]string); ok {
		return slices.ContainsFunc(l, func(s string) bool { return pred(s) })
	}
	return pred(f)
}

func contains(f, v any) bool {
	switch f.(type) {
	case []any, []string:
		return anyElem(f, func(x any) bool { return equal(x, v) })
	}
	return f != nil && strings.Contains(lower(f), lower(v))
}

func hasTag(f, v any) bool {
	if f == nil {
		return false
	}
	return anyElem(f, func(x any) bool { return equal(x, v) })
}

package condition

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Values from JSON, templates and the database come as strings, numbers and
// booleans. Comparisons coerce them the way a builder would expect: "42" equals
// 42, text compares without regard to case, dates compare as instants.

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	default:
		return fmt.Sprint(x)
	}
}

func lower(v any) string { return strings.ToLower(strings.TrimSpace(toString(v))) }

func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case bool:
		return 0, false
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

var timeLayouts = []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly}

func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		s := strings.TrimSpace(x)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func equal(a, b any) bool {
	if isEmpty(a) && isEmpty(b) {
		return true
	}
	if ab, ok := a.(bool); ok {
		return lower(b) == strconv.FormatBool(ab)
	}
	if bb, ok := b.(bool); ok {
		return lower(a) == strconv.FormatBool(bb)
	}
	if x, ok := toNumber(a); ok {
		if y, ok := toNumber(b); ok {
			return x == y
		}
	}
	return lower(a) == lower(b)
}

// compare orders numbers numerically, then dates, then text; ok is false when
// the two cannot be ordered (a missing field is never greater than anything).
func compare(a, b any) (int, bool) {
	if isEmpty(a) {
		return 0, false
	}
	if x, ok := toNumber(a); ok {
		if y, ok := toNumber(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	if x, ok := toTime(a); ok {
		if y, ok := toTime(b); ok {
			return x.Compare(y), true
		}
	}
	return strings.Compare(lower(a), lower(b)), true
}

func timeCmp(f, v any, cmp func(a, b time.Time) bool) bool {
	a, ok := toTime(f)
	if !ok {
		return false
	}
	b, ok := toTime(v)
	return ok && cmp(a, b)
}

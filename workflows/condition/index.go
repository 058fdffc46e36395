package condition

import (
	"strconv"
	"strings"
)

// IndexKey returns the equality on a top-level event field that every event
// matching n must satisfy, as "field=value" (value lower-cased), or "" when
// the tree has none. Routing looks triggers up by these keys, so the cost of
// an event does not grow with the triggers that cannot match it.
func IndexKey(n *Node) string {
	if n == nil {
		return ""
	}
	if k := leafKey(n); k != "" {
		return k
	}
	for _, c := range n.All {
		if k := leafKey(c); k != "" {
			return k
		}
	}
	return ""
}

// EventKeys are the keys an event's data can match: one per top-level
// scalar field, plus "" for triggers that have no key.
func EventKeys(data map[string]any) []string {
	keys := []string{""}
	for k, v := range data {
		switch x := v.(type) {
		case []any: // "is" on a list matches any element
			for _, e := range x {
				if isScalar(e) {
					keys = append(keys, k+"="+keyValue(e))
				}
			}
		case []string:
			for _, e := range x {
				keys = append(keys, k+"="+keyValue(e))
			}
		default:
			if isScalar(v) {
				keys = append(keys, k+"="+keyValue(v))
			}
		}
	}
	return keys
}

func leafKey(n *Node) string {
	if n == nil || n.Op != "is" || !strings.HasPrefix(n.Field, "event.") {
		return ""
	}
	field := strings.TrimPrefix(n.Field, "event.")
	if field == "" || strings.Contains(field, ".") {
		return ""
	}
	if !isScalar(n.Value) || isEmpty(n.Value) { // "is empty" also matches a missing field
		return ""
	}
	return field + "=" + keyValue(n.Value)
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool, int, int64:
		return true
	}
	return false
}

// keyValue normalises a value the way "is" compares: numbers by value
// ("3.50" and 3.5 alike), text without case.
func keyValue(v any) string {
	if _, isBool := v.(bool); !isBool {
		if f, ok := toNumber(v); ok {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return lower(v)
}

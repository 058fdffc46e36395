package condition

import (
	"strconv"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/durations"
)

// Evaluate reports whether the tree holds in scope at the instant now. An
// Empty tree (nil or {}) holds: no filter means everything matches.
func Evaluate(n *Node, scope Scope, now time.Time) bool {
	switch {
	case Empty(n):
		return true
	case n.All != nil:
		for _, c := range n.All {
			if !Evaluate(c, scope, now) {
				return false
			}
		}
		return true
	case n.Any != nil:
		for _, c := range n.Any {
			if Evaluate(c, scope, now) {
				return true
			}
		}
		return false
	case n.Not != nil:
		return !Evaluate(n.Not, scope, now)
	}
	op, ok := operators[n.Op]
	if !ok {
		return false
	}
	field := n.Field
	if field == "" { // has_tag without a field reads the contact's tags
		field = "contact.tags"
	}
	v, _ := scope.Lookup(field)
	return op.eval(v, n.Value, now)
}

func parseDuration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return durations.Parse(s)
}

// lookupPath walks nested maps by dots; list indexes ("items.0.id") work too.
func lookupPath(m map[string]any, path string) (any, bool) {
	return LookupSegments(m, strings.Split(path, "."))
}

// LookupSegments walks nested maps and lists (a segment "0" indexes a list);
// ok is false when any segment is missing.
func LookupSegments(m map[string]any, segments []string) (any, bool) {
	var cur any = m
	for _, part := range segments {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// Package condition evaluates the condition trees used by trigger filters,
// if/else branches, wait-until and goals. A leaf compares a field with a
// value; groups combine leaves with all, any and not. A missing field is
// empty, never an error, so conditions on optional data stay simple.
package condition

import (
	"strings"
	"time"
)

// Node is a node of a condition tree: a leaf (field, op, value) or a group
// (all, any, not).
type Node struct {
	All   []*Node `json:"all,omitempty"`
	Any   []*Node `json:"any,omitempty"`
	Not   *Node   `json:"not,omitempty"`
	Field string  `json:"field,omitempty"`
	Op    string  `json:"op,omitempty"`
	Value any     `json:"value,omitempty"`
}

// Empty reports whether n is no condition at all: nil, or {} (no group, no
// field, op or value). Optional trees (filters) take it as no filter and it
// holds; where a tree is required, Validate refuses it.
func Empty(n *Node) bool {
	return n == nil || (n.All == nil && n.Any == nil && n.Not == nil && n.Field == "" && n.Op == "" && n.Value == nil)
}

// Scope resolves a dotted field path ("contact.email", "event.tag",
// "steps.s1.response.status") to its value. ok is false when it is missing.
type Scope interface {
	Lookup(path string) (value any, ok bool)
}

// MapScope is a Scope over nested maps, the shape templates also read.
type MapScope map[string]any

// Lookup walks the path through nested maps; "contact.tags" may be a list.
func (m MapScope) Lookup(path string) (any, bool) {
	return lookupPath(map[string]any(m), path)
}

// NowFields is what now.* reads in conditions and templates: t as a wall
// clock shows it in its location, which callers set to the workflow's
// timezone (settings.timezone), so "now.time before 17:00" means 17:00 there.
func NowFields(t time.Time) map[string]any {
	return map[string]any{
		"day_of_week": []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[t.Weekday()],
		"time":        t.Format("15:04"),
		"date":        t.Format(time.DateOnly),
		"iso":         t.Format(time.RFC3339),
	}
}

// ReadsNow says whether some leaf of the tree reads now.* (the clock).
func ReadsNow(n *Node) bool {
	if n == nil {
		return false
	}
	if n.Field == "now" || strings.HasPrefix(n.Field, "now.") {
		return true
	}
	for _, k := range n.All {
		if ReadsNow(k) {
			return true
		}
	}
	for _, k := range n.Any {
		if ReadsNow(k) {
			return true
		}
	}
	return ReadsNow(n.Not)
}

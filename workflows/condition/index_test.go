package condition

import (
	"slices"
	"testing"
	"time"
)

func TestIndexKeyIsImpliedByTheTree(t *testing.T) {
	cases := []struct {
		n    *Node
		want string
	}{
		{leaf("event.tag", "is", "Lead"), "tag=lead"},
		{&Node{All: []*Node{leaf("contact.email", "is_not_empty", nil), leaf("event.calendar_id", "is", "c1")}}, "calendar_id=c1"},
		{&Node{Any: []*Node{leaf("event.tag", "is", "a"), leaf("event.tag", "is", "b")}}, ""},
		{&Node{Not: leaf("event.tag", "is", "a")}, ""},
		{leaf("event.tag", "contains", "a"), ""},
		{leaf("event.items.0.sku", "is", "a"), ""},
		{leaf("contact.first_name", "is", "a"), ""},
		{nil, ""},
	}
	for _, c := range cases {
		if got := IndexKey(c.n); got != c.want {
			t.Errorf("IndexKey(%+v) = %q, want %q", c.n, got, c.want)
		}
	}
}

// A trigger whose key is not among the event's keys can never match it:
// the index may skip it without evaluating the tree.
func TestEventKeysCoverEveryMatchingKey(t *testing.T) {
	data := map[string]any{"tag": "LEAD", "n": 3.0, "code": "007", "tags": []any{"a", "B"}, "changed": []string{"email"}, "nested": map[string]any{"x": 1}}
	keys := EventKeys(data)
	s := MapScope{"event": data}
	for _, n := range []*Node{leaf("event.tag", "is", "lead"), leaf("event.n", "is", "3.00"), leaf("event.code", "is", 7.0),
		leaf("event.tags", "is", "b"), leaf("event.changed", "is", "Email"), leaf("event.missing", "is", ""), leaf("event.tag", "is", "other")} {
		matches := Evaluate(n, s, time.Now())
		if !matches && n.Value != "other" {
			t.Errorf("%+v should match %v", n, data)
		}
		indexed := slices.Contains(keys, IndexKey(n))
		if matches && !indexed {
			t.Errorf("%+v matches but its key %q is not among %v", n, IndexKey(n), keys)
		}
	}
	if !slices.Contains(keys, "") {
		t.Error("unkeyed triggers must always be candidates")
	}
}

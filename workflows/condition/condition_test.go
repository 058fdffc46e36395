package condition

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/validation"
)

var now = time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)

var scope = MapScope{
	"contact": map[string]any{
		"first_name": "Ada", "email": "ada@example.com", "phone": "+14155550123", "empty": "",
		"tags":   []any{"lead", "VIP"},
		"custom": map[string]any{"plan": "gold", "score": "42", "seats": 7.0, "renewal": "2026-12-10", "signed_up": "2026-11-30T10:00:00Z", "active": true},
	},
	"event": map[string]any{"tag": "lead", "items": []any{map[string]any{"sku": "A1"}}},
	"steps": map[string]any{"s1": map[string]any{"response": map[string]any{"status": 201.0}}},
	"now":   NowFields(now),
}

func leaf(field, op string, value any) *Node { return &Node{Field: field, Op: op, Value: value} }

func TestEveryOperator(t *testing.T) {
	cases := []struct {
		name string
		n    *Node
		want bool
	}{
		{"is, case-insensitive", leaf("contact.first_name", "is", "ada"), true},
		{"is on a list means one element is", leaf("contact.tags", "is", "vip"), true},
		{"is number as text", leaf("contact.custom.score", "is", 42), true},
		{"is bool", leaf("contact.custom.active", "is", "true"), true},
		{"is_not", leaf("contact.first_name", "is_not", "Bob"), true},
		{"is_not on a list", leaf("contact.tags", "is_not", "lead"), false},
		{"contains", leaf("contact.email", "contains", "EXAMPLE"), true},
		{"contains on a list", leaf("contact.tags", "contains", "lead"), true},
		{"not_contains", leaf("contact.email", "not_contains", "gmail"), true},
		{"starts_with", leaf("contact.phone", "starts_with", "+1415"), true},
		{"ends_with", leaf("contact.email", "ends_with", ".com"), true},
		{"is_empty on empty string", leaf("contact.empty", "is_empty", nil), true},
		{"is_empty on missing field", leaf("contact.custom.nope", "is_empty", nil), true},
		{"is_not_empty", leaf("contact.email", "is_not_empty", nil), true},
		{"gt numeric text", leaf("contact.custom.score", "gt", 41), true},
		{"gt is numeric, not lexical", leaf("contact.custom.seats", "gt", "10"), false},
		{"gte", leaf("contact.custom.seats", "gte", 7), true},
		{"lt", leaf("contact.custom.seats", "lt", 7.5), true},
		{"lte", leaf("contact.custom.seats", "lte", 6), false},
		{"gt on missing is false", leaf("contact.custom.nope", "gt", 0), false},
		{"between inclusive", leaf("contact.custom.score", "between", []any{42, 50}), true},
		{"between outside", leaf("contact.custom.score", "between", []any{43, 50}), false},
		{"in", leaf("contact.custom.plan", "in", []any{"silver", "Gold"}), true},
		{"not_in", leaf("contact.custom.plan", "not_in", []any{"silver"}), true},
		{"before", leaf("contact.custom.renewal", "before", "2026-12-11"), true},
		{"after", leaf("contact.custom.renewal", "after", "2026-12-11"), false},
		{"on same day", leaf("contact.custom.signed_up", "on", "2026-11-30"), true},
		{"within_last", leaf("contact.custom.signed_up", "within_last", "7d"), true},
		{"within_last too old", leaf("contact.custom.signed_up", "within_last", "2d"), false},
		{"has_tag", leaf("contact.tags", "has_tag", "Lead"), true},
		{"has_tag without field reads contact tags", &Node{Op: "has_tag", Value: "vip"}, true},
		{"not_has_tag", leaf("contact.tags", "not_has_tag", "customer"), true},
		{"matches", leaf("contact.email", "matches", `^[a-z]+@example\.com$`), true},
		{"matches on missing", leaf("contact.custom.nope", "matches", `.*`), false},
		{"event path", leaf("event.tag", "is", "lead"), true},
		{"list index path", leaf("event.items.0.sku", "is", "A1"), true},
		{"step output", leaf("steps.s1.response.status", "gte", 200), true},
		{"now", leaf("now.day_of_week", "is", "thu"), true},
		{"all", &Node{All: []*Node{leaf("event.tag", "is", "lead"), leaf("contact.email", "is_not_empty", nil)}}, true},
		{"all fails", &Node{All: []*Node{leaf("event.tag", "is", "lead"), leaf("contact.email", "is_empty", nil)}}, false},
		{"any", &Node{Any: []*Node{leaf("event.tag", "is", "x"), leaf("contact.first_name", "is", "Ada")}}, true},
		{"not", &Node{Not: leaf("event.tag", "is", "lead")}, false},
		{"nested", &Node{All: []*Node{{Any: []*Node{leaf("event.tag", "is", "x"), {Not: leaf("contact.tags", "has_tag", "spam")}}}}}, true},
		{"nil tree holds", nil, true},
	}
	for _, c := range cases {
		if got := Evaluate(c.n, scope, now); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	for _, op := range OperatorNames() {
		found := false
		for _, c := range cases {
			if c.n != nil && c.n.Op == op {
				found = true
			}
		}
		if !found {
			t.Errorf("operator %s has no case", op)
		}
	}
}

func TestValidateNamesEachFaultByPath(t *testing.T) {
	var n Node
	if err := json.Unmarshal([]byte(`{"all": [
		{"field": "contact.email", "op": "is_not_empty"},
		{"field": "contact.email", "op": "sounds_like", "value": "x"},
		{"field": "email", "op": "is", "value": "x"},
		{"any": []},
		{"field": "contact.custom.score", "op": "between", "value": [1]},
		{"field": "contact.email", "op": "matches", "value": "("},
		{"field": "contact.custom.d", "op": "within_last", "value": "soon"},
		{"field": "contact.email", "op": "is", "all": [{"field": "a"}]},
		{"not": {"field": "contact.tags", "op": "in", "value": "lead"}}
	]}`), &n); err != nil {
		t.Fatal(err)
	}
	p := validation.NewProblems()
	Validate(p.At("filters"), &n)
	got := map[string]string{}
	for _, e := range p.Errors() {
		got[e.Path] = e.Message
	}
	want := []string{
		"filters.all[1].op", "filters.all[2].field", "filters.all[3].any", "filters.all[4].value",
		"filters.all[5].value", "filters.all[6].value", "filters.all[7]", "filters.all[8].not.value",
	}
	for _, path := range want {
		if _, ok := got[path]; !ok {
			t.Errorf("no fault at %s; got %v", path, got)
		}
	}
	if _, ok := got["filters.all[0]"]; ok || len(got) != len(want) {
		t.Errorf("unexpected faults: %v", got)
	}
	if !strings.Contains(got["filters.all[1].op"], "sounds_like") {
		t.Errorf("op message = %q", got["filters.all[1].op"])
	}
}

// now.* values are written one way (NowFields): a literal in another form
// can never match, so it is refused where it stands.
func TestValidateNowValuesInTheirForm(t *testing.T) {
	var n Node
	if err := json.Unmarshal([]byte(`{"all": [
		{"field": "now.day_of_week", "op": "is", "value": "Fri"},
		{"field": "now.day_of_week", "op": "is", "value": "friday"},
		{"field": "now.day_of_week", "op": "in", "value": ["sat", "Sunday"]},
		{"field": "now.time", "op": "between", "value": ["09:00", "17:30"]},
		{"field": "now.time", "op": "gt", "value": "9:00"},
		{"field": "now.date", "op": "is", "value": "tomorrow"},
		{"field": "now.date", "op": "is", "value": "{{contact.custom.renewal}}"},
		{"field": "now.time", "op": "starts_with", "value": "1"},
		{"field": "now.weekday", "op": "is", "value": "fri"}
	]}`), &n); err != nil {
		t.Fatal(err)
	}
	p := validation.NewProblems()
	Validate(p.At("when"), &n)
	got := map[string]string{}
	for _, e := range p.Errors() {
		got[e.Path] = e.Message
	}
	want := map[string]string{
		"when.all[1].value":    `now.day_of_week is a day as mon, tue, wed, thu, fri, sat or sun, so "friday" never matches it`,
		"when.all[2].value[1]": `"Sunday"`,
		"when.all[4].value":    `HH:MM`,
		"when.all[5].value":    `YYYY-MM-DD`,
		"when.all[8].field":    `unknown field "now.weekday"`,
	}
	if len(got) != len(want) {
		t.Errorf("faults = %v", got)
	}
	for path, part := range want {
		if !strings.Contains(got[path], part) {
			t.Errorf("%s = %q, want it to say %q", path, got[path], part)
		}
	}
}

// {} is no condition: it holds like an omitted filter, and Validate (for
// required trees) refuses it with one clear message, not field and op.
func TestAnEmptyTreeIsNoCondition(t *testing.T) {
	if !Empty(nil) || !Empty(&Node{}) || Empty(&Node{All: []*Node{}}) || Empty(&Node{Value: 1}) {
		t.Error("Empty is wrong")
	}
	if !Evaluate(&Node{}, scope, now) {
		t.Error("{} does not hold")
	}
	p := validation.NewProblems()
	Validate(p.At("when"), &Node{})
	if errs := p.Errors(); len(errs) != 1 || errs[0].Path != "when" || !strings.Contains(errs[0].Message, "is empty") {
		t.Errorf("faults %v", errs)
	}
}

func TestTreesNestAtMostMaxDepth(t *testing.T) {
	nest := func(depth int) *Node {
		n := &Node{Field: "contact.email", Op: "is_empty"}
		for i := 1; i < depth; i++ {
			n = &Node{All: []*Node{n}}
		}
		return n
	}
	for depth, refused := range map[int]bool{MaxDepth: false, MaxDepth + 1: true} {
		p := validation.NewProblems()
		Validate(p, nest(depth))
		if errs := p.Errors(); (len(errs) > 0) != refused {
			t.Errorf("depth %d: faults %v, want refused %v", depth, errs, refused)
		}
	}
}

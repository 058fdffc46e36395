package template

import (
	"reflect"
	"testing"
)

func TestReadsStepIDs(t *testing.T) {
	cases := map[string][]string{
		"{{steps.s1.body}}":                                                        {"s1"},
		"Hi {{ steps.s1.response.body.id | upcase }}":                              {"s1"},
		"{% if steps.s2.ok %}yes{% elsif steps.s3.ok %}{% endif %}":                {"s2", "s3"},
		`{{ steps["s4"].id }} {{ steps['s5'] }}`:                                   {"s4", "s5"},
		`{{ contact.first_name | default: steps.s6.name }}`:                        {"s6"},
		`{% for x in steps.s7.items %}{{ x }}{% endfor %}`:                         {"s7"},
		`{% assign v = steps.s8.total %}{{ v }}`:                                   {"s8"},
		`{% case steps.my-step.status %}{% when "a" %}{{ steps.s1 }}{% endcase %}`: {"my-step", "s1"},
		"{{steps.s1.a}} {{steps.s1.b}}":                                            {"s1"}, // once each
		// Not reads of steps: text, literals, raw, comments, other roots.
		"steps.s1 is plain text":                       nil,
		"{{ 'steps.s1' }} {{ \"steps.s2\" | upcase }}": nil,
		"{% raw %}{{steps.s1}}{% endraw %}":            nil,
		"{% comment %}{{steps.s1}}{% endcomment %}":    nil,
		"{{ contact.steps.s1 }} {{ event.steps.x }}":   nil,
		"{{ steps[some_var] }} {{ steps }}":            nil,
		"{{ trigger_link.0196abcd }} {{ mysteps.s1 }}": nil,
		"{{ steps.s1 ": nil, // does not parse: a fault, not a read
	}
	for in, want := range cases {
		if got := Reads(in, "steps"); !reflect.DeepEqual(got, want) {
			t.Errorf("Reads(%q) = %q, want %q", in, got, want)
		}
	}
}

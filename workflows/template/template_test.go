package template

import "testing"

func TestRender(t *testing.T) {
	scope := map[string]any{"contact": map[string]any{"first_name": "Ada", "custom": map[string]any{"plan": "gold"}}}
	cases := map[string]string{
		"Hi {{contact.first_name}}!":                           "Hi Ada!",
		`Hi {{contact.last_name | default: "there"}}`:          "Hi there",
		"Plan: {{contact.custom.plan | upcase}}":               "Plan: GOLD",
		"{% if contact.custom.plan == 'gold' %}VIP{% endif %}": "VIP",
		"no markup":                    "no markup",
		"missing: [{{event.nothing}}]": "missing: []",
	}
	for in, want := range cases {
		got, err := Render(in, scope)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestCheckRejectsBadTemplates(t *testing.T) {
	for _, bad := range []string{"Hi {{contact.first_name", "{% if x %}never closed", "{{ | }}", "Hi {{ contact.first_name | nosuchfilter }}"} {
		if Check(bad) == nil {
			t.Errorf("Check(%q) accepted a bad template", bad)
		}
	}
	for _, good := range []string{"fine {{ contact.email }}", `{{ contact.x | default: "a" | upcase | divided_by: 2 }}`, "{{ event.amount | plus: 1 | times: 3 }}"} {
		if err := Check(good); err != nil {
			t.Errorf("Check(%q): %v", good, err)
		}
	}
}

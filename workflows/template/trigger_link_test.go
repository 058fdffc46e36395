package template

import "testing"

func TestTriggerLinkIDsThatStartWithDigitsRender(t *testing.T) {
	id := "0196f3a2-1234-7abc-8def-0123456789ab"
	scope := map[string]any{"trigger_link": map[string]any{id: "https://x.test/l/abc"}}
	for tpl, want := range map[string]string{
		"Go: {{trigger_link." + id + "}}":                "Go: https://x.test/l/abc",
		"{{ trigger_link." + id + " | upcase }}":         "HTTPS://X.TEST/L/ABC",
		"{% if trigger_link." + id + " %}yes{% endif %}": "yes",
		"plain trigger_link." + id + " stays":            "plain trigger_link." + id + " stays",
		"{{trigger_link.missing}}":                       "",
	} {
		if err := Check(tpl); err != nil {
			t.Errorf("Check(%q): %v", tpl, err)
			continue
		}
		got, err := Render(tpl, scope)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", tpl, got, err, want)
		}
	}
}

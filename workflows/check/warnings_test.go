package check

import (
	"strings"
	"testing"
)

// warnings parses a definition that must be valid and returns its warnings by path.
func warnings(t *testing.T, def string) map[string]string {
	t.Helper()
	d, errs := Parse([]byte(def))
	if errs != nil {
		t.Fatalf("faults in %s: %v", def, errs)
	}
	out := map[string]string{}
	for _, w := range Warnings(d) {
		out[w.Path] = w.Message
	}
	return out
}

func TestWarningsForWaitsWithoutTimeout(t *testing.T) {
	cases := []struct {
		name, steps, path, contains string
	}{
		{"event wait", `{"id":"a","type":"send_sms","config":{"body":"hi"},"next":"w"},
			{"id":"w","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"}]}}`,
			"steps[1].config.timeout", "waits forever if no matching event comes: set timeout (and on_timeout)"},
		{"condition wait", `{"id":"w","type":"wait","config":{"mode":"condition","until":{"field":"contact.email","op":"is_not_empty"}}}`,
			"steps[0].config.timeout", "waits forever if the condition never holds: set timeout"},
		{"goal waiting unmet", `{"id":"g","type":"goal","config":{"events":[{"type":"customer_replied"}],"if_unmet":"wait"}}`,
			"steps[0].config.timeout", "waits forever if the goal is never met: set timeout"},
	}
	for _, c := range cases {
		w := warnings(t, `{"name":"x","start":"`+startOf(c.steps)+`","steps":[`+c.steps+`]}`)
		if len(w) != 1 {
			t.Errorf("%s: want one warning, got %v", c.name, w)
		}
		if msg, ok := w[c.path]; !ok || !strings.Contains(msg, c.contains) {
			t.Errorf("%s: want a warning at %s containing %q; got %v", c.name, c.path, c.contains, w)
		}
	}
}

// A condition wait over now.* is checked only when an event reaches the
// run and at its timeout, not as the clock moves: saving it warns, wherever
// in the tree now.* is read.
func TestWarningForConditionWaitOverNow(t *testing.T) {
	for name, until := range map[string]string{
		"leaf":     `{"field":"now.time","op":"gte","value":"10:00"}`,
		"in a not": `{"all":[{"field":"contact.tags","op":"has_tag","value":"vip"},{"not":{"field":"now.day_of_week","op":"in","value":["sat","sun"]}}]}`,
	} {
		w := warnings(t, `{"name":"x","start":"w","steps":[{"id":"w","type":"wait","config":{"mode":"condition","until":`+until+`,"timeout":"1d"}}]}`)
		msg, ok := w["steps[0].config.until"]
		if len(w) != 1 || !ok || !strings.Contains(msg, "only when an event reaches the run and at the timeout") ||
			!strings.Contains(msg, `mode "until"`) || !strings.Contains(msg, "resume_window") {
			t.Errorf("%s: want one warning at steps[0].config.until about now.*; got %v", name, w)
		}
	}
}

func TestNoWarnings(t *testing.T) {
	for name, steps := range map[string]string{
		"event wait with timeout": `{"id":"w","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"}],"timeout":"3d","on_timeout":"e"},"next":"e"},
			{"id":"e","type":"end"}`,
		"condition wait with timeout": `{"id":"w","type":"wait","config":{"mode":"condition","until":{"field":"contact.email","op":"is_not_empty"},"timeout":"1d"}}`,
		"goal with timeout":           `{"id":"g","type":"goal","config":{"events":[{"type":"customer_replied"}],"if_unmet":"wait","timeout":"7d"}}`,
		"goal ending unmet":           `{"id":"g","type":"goal","config":{"events":[{"type":"customer_replied"}]}}`,
		"delay, until, appointment, drip": `{"id":"d","type":"wait","config":{"mode":"delay","duration":"2d"},"next":"u"},
			{"id":"u","type":"wait","config":{"mode":"until","at":"2099-01-01 09:00"},"next":"p"},
			{"id":"p","type":"wait","config":{"mode":"appointment","offset":"-1d"},"next":"r"},
			{"id":"r","type":"drip","config":{"batch_size":10,"interval":"1h"}}`,
		"disabled event wait": `{"id":"w","type":"wait","disabled":true,"config":{"mode":"event","events":[{"type":"customer_replied"}]}}`,
	} {
		w := warnings(t, `{"name":"x","start":"`+startOf(steps)+`","steps":[`+steps+`]}`)
		if len(w) != 0 {
			t.Errorf("%s: want no warning, got %v", name, w)
		}
	}
	// The valid definition of check_test.go warns of nothing, and the
	// answer is [] rather than nil.
	d, _ := Parse([]byte(valid))
	if w := Warnings(d); w == nil || len(w) != 0 {
		t.Fatalf("warnings of the valid definition: %#v", w)
	}
}

// startOf is the id of the first step in a list of step objects.
func startOf(steps string) string {
	_, rest, _ := strings.Cut(steps, `"id":"`)
	id, _, _ := strings.Cut(rest, `"`)
	return id
}

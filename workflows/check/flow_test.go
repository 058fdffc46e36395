package check

import (
	"fmt"
	"strings"
	"testing"
)

// flow wraps steps in a definition whose start is the first one.
func flow(steps string) string {
	return `{"name":"x","start":"a","steps":[` + steps + `]}`
}

func TestEveryFlowStepValidates(t *testing.T) {
	defs := map[string]string{
		"delay template": flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"{{contact.custom.days}}d"}}`),
		"until passed goto": flow(`{"id":"a","type":"wait","config":{"mode":"until","at":"{{contact.custom.renewal_date}}","if_passed":"goto","goto":"b"},"next":"b"},
			{"id":"b","type":"end"}`),
		"until fixed": flow(`{"id":"a","type":"wait","config":{"mode":"until","at":"2027-01-04 09:00","if_passed":"exit"}}`),
		"appointment": flow(`{"id":"a","type":"wait","config":{"mode":"appointment","offset":"-1d","on_cancel":"b"},"next":"b"},{"id":"b","type":"end"}`),
		"event": flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"},
			{"type":"trigger_link_clicked","filters":{"field":"event.link_id","op":"is","value":"l1"}}],"timeout":"2d","on_timeout":"b",
			"resume_window":{"days":["mon","tue"],"start":"09:00","end":"17:00"}},"next":"b"},{"id":"b","type":"end"}`),
		"condition": flow(`{"id":"a","type":"wait","config":{"mode":"condition","until":{"field":"contact.tags","op":"has_tag","value":"paid"},"timeout":"1w"}}`),
		"split": flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":50,"next":"b"},{"name":"B","percent":50,"next":"c"}]}},
			{"id":"b","type":"end"},{"id":"c","type":"end"}`),
		"goal": flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"1d"},"next":"g"},
			{"id":"g","type":"goal","config":{"events":[{"type":"appointment_booked"}],"if_unmet":"wait","timeout":"3d"}}`),
		"drip":                flow(`{"id":"a","type":"drip","config":{"batch_size":10,"interval":"1h"}}`),
		"loop through a goal": flow(`{"id":"a","type":"add_tag","config":{"tags":["x"]},"next":"g"},{"id":"g","type":"goal","config":{"events":[{"type":"payment_received"}],"if_unmet":"wait"},"next":"b"},{"id":"b","type":"goto","config":{"step":"a"}}`),
	}
	for name, def := range defs {
		if f := faults(t, def); len(f) != 0 {
			t.Errorf("%s: faults in a valid definition: %v", name, f)
		}
	}
}

func TestFlowStepFaultsAreNamedByPath(t *testing.T) {
	cases := []struct{ name, def, path, want string }{
		{"delay bad template", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"{{contact.x"}}`), "steps[0].config.duration", ""},
		{"delay zero", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"0s"}}`), "steps[0].config.duration", "longer than zero"},
		{"field of another mode", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"1d","timeout":"2d"}}`), "steps[0].config.timeout", "not a field of wait mode"},
		{"until bad date", flow(`{"id":"a","type":"wait","config":{"mode":"until","at":"next tuesday"}}`), "steps[0].config.at", ""},
		{"until goto missing", flow(`{"id":"a","type":"wait","config":{"mode":"until","at":"2027-01-01","if_passed":"goto"}}`), "steps[0].config.goto", "required"},
		{"until goto dangling", flow(`{"id":"a","type":"wait","config":{"mode":"until","at":"2027-01-01","if_passed":"goto","goto":"zz"}}`), "steps[0].config.goto", `"zz"`},
		{"until unknown if_passed", flow(`{"id":"a","type":"wait","config":{"mode":"until","at":"2027-01-01","if_passed":"skip"}}`), "steps[0].config.if_passed", "continue, exit or goto"},
		{"appointment bad offset", flow(`{"id":"a","type":"wait","config":{"mode":"appointment","offset":"a day before"}}`), "steps[0].config.offset", "before the start"},
		{"appointment dangling on_cancel", flow(`{"id":"a","type":"wait","config":{"mode":"appointment","on_cancel":"zz"}}`), "steps[0].config.on_cancel", `"zz"`},
		{"event none", flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[]}}`), "steps[0].config.events", "at least one event"},
		{"event unknown type", flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"Moon Rises"}]}}`), "steps[0].config.events[0].type", "is not an event type"},
		{"event bad filter", flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"email_event","filters":{"field":"event.event","op":"resembles","value":"x"}}]}}`), "steps[0].config.events[0].filters.op", ""},
		{"event unknown matcher field", flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"email_event","filter":{}}]}}`), "steps[0].config.events[0].filter", "unknown field"},
		{"on_timeout without timeout", flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"}],"on_timeout":"a"}}`), "steps[0].config.on_timeout", "needs a timeout"},
		{"condition missing", flow(`{"id":"a","type":"wait","config":{"mode":"condition"}}`), "steps[0].config.until", "required"},
		{"resume window day", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"1d","resume_window":{"days":["someday"],"start":"09:00","end":"17:00"}}}`), "steps[0].config.resume_window.days[0]", "unknown day"},
		{"split sum", flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":60},{"name":"B","percent":30}]}}`), "steps[0].config.paths", "add up to 90"},
		{"split one path", flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":100}]}}`), "steps[0].config.paths", "at least two"},
		{"split dangling", flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":50},{"name":"B","percent":50,"next":"zz"}]}}`), "steps[0].config.paths[1].next", `"zz"`},
		{"split duplicate name", flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":50},{"name":"A","percent":50}]}}`), "steps[0].config.paths[1].name", "duplicate"},
		{"goal if_unmet", flow(`{"id":"a","type":"goal","config":{"events":[{"type":"payment_received"}],"if_unmet":"retry"}}`), "steps[0].config.if_unmet", "end, continue or wait"},
		{"goal timeout without wait", flow(`{"id":"a","type":"goal","config":{"events":[{"type":"payment_received"}],"timeout":"1d"}}`), "steps[0].config.timeout", "only read when if_unmet is wait"},
		{"drip batch", flow(`{"id":"a","type":"drip","config":{"batch_size":0,"interval":"1h"}}`), "steps[0].config.batch_size", "between 1 and"},
		{"drip interval", flow(`{"id":"a","type":"drip","config":{"batch_size":5}}`), "steps[0].config.interval", "required"},
		{"on_failure on a flow step", flow(`{"id":"a","type":"goto","config":{"step":"b"},"on_failure":"continue"},{"id":"b","type":"wait","config":{"mode":"delay","duration":"1h"},"next":"a"}`), "steps[0].on_failure", "only action steps"},
		{"machine zone", `{"name":"x","settings":{"timezone":"Local"},"start":"a","steps":[{"id":"a","type":"end"}]}`, "settings.timezone", "unknown timezone"},
		{"loop through a literal until", flow(`{"id":"a","type":"add_tag","config":{"tags":["x"]},"next":"w"},{"id":"w","type":"wait","config":{"mode":"until","at":"2020-01-01"},"next":"g"},{"id":"g","type":"goto","config":{"step":"a"}}`), "steps[2].config.step", "no step that waits"},
		{"loop through a goal that never waits", flow(`{"id":"a","type":"add_tag","config":{"tags":["x"]},"next":"g"},{"id":"g","type":"goal","config":{"events":[{"type":"payment_received"}],"if_unmet":"continue"},"next":"b"},{"id":"b","type":"goto","config":{"step":"a"}}`), "steps[2].config.step", "no step that waits"},
	}
	for _, c := range cases {
		f := faults(t, c.def)
		msg, ok := f[c.path]
		if !ok || !strings.Contains(msg, c.want) {
			t.Errorf("%s: want a fault at %s containing %q; got %v", c.name, c.path, c.want, f)
		}
	}
}

func TestAWorkflowHasAtMostMaxSteps(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= MaxSteps; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"s%d","type":"add_tag","config":{"tags":["t"]},"next":"s%d"}`, i, i+1)
	}
	b.WriteString(`,{"id":"s` + fmt.Sprint(MaxSteps+1) + `","type":"end"}`)
	def := `{"name":"x","start":"s0","steps":[` + b.String() + `]}`
	if f := faults(t, def); !strings.Contains(f["steps"], "at most 500 steps") {
		t.Errorf("faults = %v", f["steps"])
	}
}

// Numbers written as 50.0 or 5e1 are refused where an integer goes, at
// their full path (encoding/json would name neither the index nor say why).
func TestIntegersWrittenAsDecimalsAreNamedByPath(t *testing.T) {
	def := flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":50},{"name":"B","percent":50.0,"next":"b"}]}},
		{"id":"b","type":"drip","config":{"batch_size":1e1,"interval":"1h"}}`)
	f := faults(t, def)
	for _, path := range []string{"steps[0].config.paths[1].percent", "steps[1].config.batch_size"} {
		if !strings.Contains(f[path], "integer written with digits only") {
			t.Errorf("no fault at %s: %v", path, f)
		}
	}
}

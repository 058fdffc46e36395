package steps

import (
	"encoding/json"
	"testing"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// decodeConfig names every unknown and wrongly typed field, and still
// decodes the rest (leaving those out) so that Validate checks it too.
func TestDecodeConfigLeavesOutFaultyFieldsAndGoesOn(t *testing.T) {
	p := validation.NewProblems()
	var c splitConfig
	ok := decodeConfig(p.At("steps[0]"), json.RawMessage(`{"paths":[{"name":"A","percent":"50","next":"a","nxt":"b"},{"name":"B","percent":30,"next":"b"}],"x":1}`), &c)
	if !ok {
		t.Fatalf("decodeConfig gave up; faults %v", p.Errors())
	}
	if len(c.Paths) != 2 || c.Paths[0].Percent != nil || c.Paths[0].Next != "a" || c.Paths[1].share() != 30 {
		t.Errorf("decoded %+v", c)
	}
	want := map[string]string{"steps[0].config.paths[0].percent": "must be an integer, not a string",
		"steps[0].config.paths[0].nxt": "unknown field", "steps[0].config.x": "unknown field"}
	got := map[string]string{}
	for _, e := range p.Errors() {
		got[e.Path] = e.Message
	}
	if len(got) != len(want) {
		t.Fatalf("faults %v, want %v", got, want)
	}
	for path, msg := range want {
		if got[path] != msg {
			t.Errorf("%s = %q, want %q", path, got[path], msg)
		}
	}
	// What the step's own checks would say of the left-out value, or of the
	// values enclosing it within the config, is dropped; the rest is not.
	sp := p.At("steps[0]")
	sp.Add("config.paths[0].percent", "is required")
	sp.Add("config.paths", "percentages add up to 30, not 100")
	sp.Add("config", "whole config")
	sp.Add("config.paths[1].percent", "kept")
	sp.Add("next", "kept")
	p.At("steps[1]").Add("config", "kept")
	if n := len(p.Errors()); n != len(want)+3 {
		t.Errorf("faults %v: want only the three kept ones added", p.Errors())
	}
}

// The graph checks read a config with a faulty field as far as it goes.
func TestTargetsSurviveAFaultElsewhereInTheConfig(t *testing.T) {
	cases := []struct {
		typ, config string
		want        []string
	}{
		{"split", `{"paths":[{"name":"A","percent":"50","next":"a"},{"name":"B","percent":50,"next":"b"}]}`, []string{"a", "b"}},
		{"if_else", `{"branches":[{"name":7,"when":{"field":"contact.email","op":"is_empty"},"next":"a"}],"else":"b","x":1}`, []string{"a", "b"}},
		{"goto", `{"step":"a","x":1}`, []string{"a"}},
		{"wait", `{"mode":"event","events":"x","timeout":"1d","on_timeout":"a"}`, []string{"a"}},
	}
	for _, c := range cases {
		k, _ := Lookup(c.typ)
		var got []string
		for _, tg := range k.Targets(&definition.Step{ID: "s", Type: c.typ, Config: json.RawMessage(c.config)}) {
			got = append(got, tg.StepID)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: targets %v, want %v", c.typ, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: targets %v, want %v", c.typ, got, c.want)
			}
		}
	}
	s := definition.Step{ID: "w", Type: "wait", Config: json.RawMessage(`{"mode":"delay","duration":"1d","resume_window":5}`)}
	if !(wait{}).Waits(&s) {
		t.Error("a delay with a bad resume_window does not wait")
	}
}

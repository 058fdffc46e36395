package check

import (
	"strings"
	"testing"
)

// exactFaults parses def and fails unless its faults are exactly want
// (path -> part of the message), each path named once.
func exactFaults(t *testing.T, name, def string, want map[string]string) {
	t.Helper()
	_, errs := Parse([]byte(def))
	got := map[string]string{}
	for _, e := range errs {
		if _, dup := got[e.Path]; dup {
			t.Errorf("%s: %s named twice: %v", name, e.Path, errs)
		}
		got[e.Path] = e.Message
	}
	if len(got) != len(want) {
		t.Errorf("%s: faults %v, want %v", name, got, want)
		return
	}
	for path, part := range want {
		if msg, ok := got[path]; !ok || !strings.Contains(msg, part) {
			t.Errorf("%s: %s = %q, want it to mention %q; all: %v", name, path, msg, part, got)
		}
	}
}

// A wrongly typed field of a step's config does not hide where the step
// leads: the steps after it are not called unreachable, nor a loop through
// a wait called one without a wait.
func TestATypeFaultInAConfigKeepsItsTargets(t *testing.T) {
	exactFaults(t, "split percent as text", `{"name":"x","start":"sp","steps":[
		{"id":"sp","type":"split","config":{"paths":[{"name":"A","percent":"50","next":"a"},{"name":"B","percent":50,"next":"b"}]}},
		{"id":"a","type":"end"},{"id":"b","type":"end"}]}`,
		map[string]string{"steps[0].config.paths[0].percent": "must be an integer, not a string"})
	exactFaults(t, "if_else name as number", `{"name":"x","start":"i","steps":[
		{"id":"i","type":"if_else","config":{"branches":[{"name":5,"when":{"field":"contact.email","op":"is_empty"},"next":"a"}],"else":"b"}},
		{"id":"a","type":"end"},{"id":"b","type":"end"}]}`,
		map[string]string{"steps[0].config.branches[0].name": "must be a string"})
	exactFaults(t, "wait in a loop with a bad resume window", flow(`{"id":"a","type":"add_tag","config":{"tags":["x"]},"next":"w"},
		{"id":"w","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"}],"timeout":"1d","on_timeout":"b","resume_window":{"days":"mon","start":"09:00","end":"17:00"}},"next":"b"},
		{"id":"b","type":"goto","config":{"step":"a"}}`),
		map[string]string{"steps[1].config.resume_window.days": "must be a list"})
}

func TestASplitPathWithoutPercentIsRefused(t *testing.T) {
	for name, paths := range map[string]string{
		"missing": `[{"name":"A","next":"a"},{"name":"B","percent":100,"next":"b"}]`,
		"null":    `[{"name":"A","percent":null,"next":"a"},{"name":"B","percent":100,"next":"b"}]`,
	} {
		exactFaults(t, name, `{"name":"x","start":"sp","steps":[{"id":"sp","type":"split","config":{"paths":`+paths+`}},
			{"id":"a","type":"end"},{"id":"b","type":"end"}]}`,
			map[string]string{"steps[0].config.paths[0].percent": "is required"})
	}
	exactFaults(t, "zero is a percentage", `{"name":"x","start":"sp","steps":[
		{"id":"sp","type":"split","config":{"paths":[{"name":"A","percent":0,"next":"a"},{"name":"B","percent":100,"next":"b"}]}},
		{"id":"a","type":"end"},{"id":"b","type":"end"}]}`, nil)
}

// Unknown and wrongly typed fields are named together with what the step's
// own checks find in the rest of its config, each path once.
func TestEveryFaultOfAStepConfigIsNamedAtOnce(t *testing.T) {
	exactFaults(t, "delay", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"-1m","x":1}}`),
		map[string]string{"steps[0].config.x": "unknown field", "steps[0].config.duration": "must be positive"})
	exactFaults(t, "remove_from_workflow", flow(`{"id":"a","type":"remove_from_workflow","config":{"workflow_id":"{{contact.x","x":1}}`),
		map[string]string{"steps[0].config.x": "unknown field", "steps[0].config.workflow_id": "parse"})
	exactFaults(t, "mis-cased key", flow(`{"id":"a","type":"send_sms","config":{"Body":"hi"}}`),
		map[string]string{"steps[0].config.Body": `unknown field: did you mean "body"?`})
	// on_timeout does not also say it "needs a timeout" when the timeout is there, of the wrong type.
	exactFaults(t, "timeout of the wrong type", flow(`{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"}],"timeout":30,"on_timeout":"a"}}`),
		map[string]string{"steps[0].config.timeout": "must be a string"})
	// The path whose percent is text is left out of the sum: no "add up to".
	exactFaults(t, "split", `{"name":"x","start":"sp","steps":[
		{"id":"sp","type":"split","config":{"paths":[{"name":"A","percent":"50","next":"a"},{"name":"B","percent":-10,"next":"b"}]}},
		{"id":"a","type":"end"},{"id":"b","type":"end"}]}`,
		map[string]string{"steps[0].config.paths[0].percent": "must be an integer", "steps[0].config.paths[1].percent": "between 0 and 100"})
	// A wrongly typed required value is named once, by its type.
	exactFaults(t, "wrong type of a required field", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":5}}`),
		map[string]string{"steps[0].config.duration": "must be a string"})
	exactFaults(t, "wrong list item", flow(`{"id":"a","type":"add_tag","config":{"tags":["x",5,""]}}`),
		map[string]string{"steps[0].config.tags[1]": "must be a string", "steps[0].config.tags[2]": ""})
	exactFaults(t, "config not an object", flow(`{"id":"a","type":"wait","config":[1]}`),
		map[string]string{"steps[0].config": "must be an object"})
}

// Faults of other steps are not dropped by a refused value of this one.
func TestARefusedValueSilencesOnlyItsOwnStep(t *testing.T) {
	exactFaults(t, "two steps", flow(`{"id":"a","type":"split","config":{"paths":[{"name":"A","percent":"x","next":"b"},{"name":"B","percent":100,"next":"b"}]}},
		{"id":"b","type":"drip","config":{"batch_size":0,"interval":"1h"}}`),
		map[string]string{"steps[0].config.paths[0].percent": "must be an integer", "steps[1].config.batch_size": "between 1 and"})
}

func TestEmptyFiltersAreNoFilter(t *testing.T) {
	def := `{"name":"x","triggers":[{"id":"t","type":"contact_created","filters":{}}],"start":"a","steps":[
		{"id":"a","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied","filters":{}}]},"next":"g"},
		{"id":"g","type":"goal","config":{"events":[{"type":"payment_received","filters":{}}]}}]}`
	exactFaults(t, "empty filters", def, nil)
	parsed, _ := Parse([]byte(def))
	if parsed.Triggers[0].Filters != nil {
		t.Errorf("trigger filters {} kept as %+v, want none", parsed.Triggers[0].Filters)
	}
}

func TestEmptyRequiredConditionsAreRefused(t *testing.T) {
	exactFaults(t, "if_else when", flow(`{"id":"a","type":"if_else","config":{"branches":[{"name":"b","when":{}}]}}`),
		map[string]string{"steps[0].config.branches[0].when": "is empty"})
	exactFaults(t, "condition until", flow(`{"id":"a","type":"wait","config":{"mode":"condition","until":{}}}`),
		map[string]string{"steps[0].config.until": "is empty"})
	exactFaults(t, "empty leaf in a group", `{"name":"x","triggers":[{"id":"t","type":"contact_created","filters":{"all":[{}]}}],"start":"a","steps":[{"id":"a","type":"end"}]}`,
		map[string]string{"triggers[0].filters.all[0]": "is empty"})
}

func TestMissingValuesSayTheyAreRequired(t *testing.T) {
	exactFaults(t, "drip", flow(`{"id":"a","type":"drip","config":{}}`),
		map[string]string{"steps[0].config.batch_size": "is required", "steps[0].config.interval": "is required"})
	exactFaults(t, "resume_window", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"1d","resume_window":{"end":"17:00"}}}`),
		map[string]string{"steps[0].config.resume_window.start": "is required"})
	exactFaults(t, "time_window", `{"name":"x","settings":{"time_window":{"start":"09:00"}},"start":"a","steps":[{"id":"a","type":"end"}]}`,
		map[string]string{"settings.time_window.end": "is required"})
	exactFaults(t, "negative duration", flow(`{"id":"a","type":"wait","config":{"mode":"delay","duration":"-5m"}}`),
		map[string]string{"steps[0].config.duration": "must be positive"})
}

// settings.timezone "" is the same as leaving it out (the account's zone),
// like the other optional settings: both are stored alike.
func TestEmptyTimezoneIsOmitted(t *testing.T) {
	empty, errs := Parse([]byte(`{"name":"x","settings":{"timezone":""},"start":"a","steps":[{"id":"a","type":"end"}]}`))
	omitted, errs2 := Parse([]byte(`{"name":"x","start":"a","steps":[{"id":"a","type":"end"}]}`))
	if errs != nil || errs2 != nil {
		t.Fatalf("faults: %v %v", errs, errs2)
	}
	if empty.Settings != omitted.Settings {
		t.Errorf("settings %+v, want %+v", empty.Settings, omitted.Settings)
	}
}

// A type fault outside step configs is named with every other fault: the
// wrongly typed value is left out and the rest is checked.
func TestADefinitionLevelTypeFaultHidesNothing(t *testing.T) {
	exactFaults(t, "filters as a list", `{"name":"x","triggers":[{"id":"t1","type":"contact_created","filters":[]}],"start":"w","steps":[
		{"id":"w","type":"wait","config":{"mode":"delay","duration":"soon"},"next":"x"},
		{"id":"w","type":"end"},
		{"id":"x","type":"teleport"}]}`,
		map[string]string{"triggers[0].filters": "must be an object, not a list", "steps[0].config.duration": "not a duration",
			"steps[1].id": `duplicate step id "w"`, "steps[2].type": "unknown step type"})
	exactFaults(t, "name as a number", `{"name":5,"start":"a","steps":[{"id":"a","type":"send_sms","config":{}},{"id":"b","type":"end"}]}`,
		map[string]string{"name": "must be a string", "steps[0].config.body": "is required", "steps[1]": "unreachable"})
	exactFaults(t, "settings fault", `{"name":"x","settings":{"timezone":3,"time_window":{"start":"9","end":"17:00"}},"start":"a","steps":[{"id":"a","type":"end"}]}`,
		map[string]string{"settings.timezone": "must be a string", "settings.time_window.start": "HH:MM"})
}

// A refused next leaves the graph incomplete: the steps after it are not
// called unreachable, but the other faults are named.
func TestARefusedNextMakesNothingUnreachable(t *testing.T) {
	exactFaults(t, "next as a number", flow(`{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":7},
		{"id":"b","type":"wait","config":{"mode":"delay","duration":"-1d"},"next":"c"},
		{"id":"c","type":"add_tag","config":{"tags":["t"]},"next":"nowhere"}`),
		map[string]string{"steps[0].next": "must be a string", "steps[1].config.duration": "must be positive",
			"steps[2].next": `no step has id "nowhere"`})
	exactFaults(t, "on_failure as a list", flow(`{"id":"a","type":"webhook","config":{"url":"https://example.com"},"on_failure":["b"]},
		{"id":"b","type":"end"}`),
		map[string]string{"steps[0].on_failure": "must be a string"})
	exactFaults(t, "start as a number", `{"name":"x","start":1,"steps":[{"id":"a","type":"end"},{"id":"b","type":"add_tag","config":{"tags":["t"]},"next":"zz"}]}`,
		map[string]string{"start": "must be a string", "steps[1].next": `no step has id "zz"`})
}

// A step whose id or type is refused gets no more faults of its own, nor
// do the steps that lead to it.
func TestARefusedIDOrTypeSaysNothingMore(t *testing.T) {
	exactFaults(t, "id as a number", flow(`{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":"2"},
		{"id":2,"type":"end"}`),
		map[string]string{"steps[1].id": "must be a string"})
	exactFaults(t, "type as a number", flow(`{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":"b"},
		{"id":"b","type":9,"next":"a"}`),
		map[string]string{"steps[1].type": "must be a string"})
	exactFaults(t, "step as a string", flow(`{"id":"a","type":"end"},"b"`),
		map[string]string{"steps[1]": "must be an object"})
}

// A repeated id is named as a duplicate only, not also as unreachable, nor
// are the steps it leads to.
func TestADuplicateIDIsOnlyADuplicate(t *testing.T) {
	exactFaults(t, "duplicate of start", `{"name":"x","start":"w","steps":[{"id":"w","type":"end"},{"id":"w","type":"end"}]}`,
		map[string]string{"steps[1].id": `duplicate step id "w"`})
	exactFaults(t, "duplicate leads on", flow(`{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":"b"},
		{"id":"b","type":"end"},{"id":"b","type":"add_tag","config":{"tags":["u"]},"next":"c"},{"id":"c","type":"end"}`),
		map[string]string{"steps[2].id": `duplicate step id "b"`})
}

// A key that differs from a field only by case is named once, with the
// field meant, and that field counts as written: not "required", and the
// steps it points at are not "unreachable". Nor are those of a branch list
// of the wrong type.
func TestAMisCasedKeyIsNamedOnce(t *testing.T) {
	exactFaults(t, "Next", `{"name":"x","start":"s1","steps":[
		{"id":"s1","type":"wait","Next":"s2","config":{"mode":"delay","Duration":"5s"}},
		{"id":"s2","type":"end"}]}`,
		map[string]string{"steps[0].Next": `did you mean "next"?`, "steps[0].config.Duration": `did you mean "duration"?`})
	exactFaults(t, "branches as an object", `{"name":"x","start":"i","steps":[
		{"id":"i","type":"if_else","config":{"branches":{"name":"A","when":{"field":"contact.email","op":"is_empty"},"next":"a"},"else":"b"}},
		{"id":"a","type":"end"},{"id":"b","type":"end"}]}`,
		map[string]string{"steps[0].config.branches": "must be a list"})
	exactFaults(t, "Next in a branch", `{"name":"x","start":"i","steps":[
		{"id":"i","type":"if_else","config":{"branches":[{"name":"A","when":{"field":"contact.email","op":"is_empty"},"Next":"a"}],"else":"b"}},
		{"id":"a","type":"end"},{"id":"b","type":"end"}]}`,
		map[string]string{"steps[0].config.branches[0].Next": `did you mean "next"?`})
}

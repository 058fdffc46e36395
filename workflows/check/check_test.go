package check

import (
	"strings"
	"testing"
)

func faults(t *testing.T, def string) map[string]string {
	t.Helper()
	_, errs := Parse([]byte(def))
	out := map[string]string{}
	for _, e := range errs {
		out[e.Path] = e.Message
	}
	return out
}

const valid = `{
  "name": "ok",
  "settings": {"timezone": "America/New_York", "time_window": {"days": ["mon", "fri"], "start": "09:00", "end": "17:00"}},
  "triggers": [{"id": "t1", "type": "contact_tag_added", "filters": {"all": [{"field": "event.tag", "op": "is", "value": "lead"}]}}],
  "start": "s1",
  "steps": [
    {"id": "s1", "type": "send_sms", "config": {"body": "Hi {{contact.first_name | default: \"there\"}}"}, "next": "s2"},
    {"id": "s2", "type": "wait", "config": {"mode": "delay", "duration": "2d"}, "next": "s3"},
    {"id": "s3", "type": "if_else", "config": {"branches": [{"name": "b", "when": {"field": "contact.email", "op": "is_not_empty"}, "next": "s4"}], "else": "s5"}},
    {"id": "s4", "type": "send_email", "config": {"subject": "x", "body": "y"}, "next": "s5"},
    {"id": "s5", "type": "add_tag", "config": {"tags": ["nurtured"]}, "next": "s6"},
    {"id": "s6", "type": "goto", "config": {"step": "s2"}}
  ]
}`

func TestValidDefinitionPasses(t *testing.T) {
	if f := faults(t, valid); len(f) != 0 {
		t.Fatalf("faults in a valid definition: %v", f)
	}
}

func TestEachFaultIsNamedByPath(t *testing.T) {
	cases := []struct {
		name, def, path, contains string
	}{
		{"dangling next", `{"name":"x","start":"a","steps":[{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":"zz"}]}`, "steps[0].next", `"zz"`},
		{"dangling branch", `{"name":"x","start":"a","steps":[{"id":"a","type":"if_else","config":{"branches":[{"name":"b","when":{"field":"contact.email","op":"is_empty"},"next":"q"}]}}]}`, "steps[0].config.branches[0].next", `"q"`},
		{"unknown step type", `{"name":"x","start":"a","steps":[{"id":"a","type":"teleport"}]}`, "steps[0].type", "unknown step type"},
		{"unknown trigger type", `{"name":"x","triggers":[{"id":"t","type":"moon_rises"}],"start":"a","steps":[{"id":"a","type":"end"}]}`, "triggers[0].type", "unknown trigger type"},
		{"missing config field", `{"name":"x","start":"a","steps":[{"id":"a","type":"send_sms","config":{}}]}`, "steps[0].config.body", "required"},
		{"unknown config field", `{"name":"x","start":"a","steps":[{"id":"a","type":"send_sms","config":{"body":"x","bdy":"y"}}]}`, "steps[0].config.bdy", "unknown field"},
		{"wrong config type", `{"name":"x","start":"a","steps":[{"id":"a","type":"add_tag","config":{"tags":"lead"}}]}`, "steps[0].config.tags", "must be a list"},
		{"bad template", `{"name":"x","start":"a","steps":[{"id":"a","type":"send_sms","config":{"body":"Hi {{contact.first_name"}}]}`, "steps[0].config.body", "parse"},
		{"unreachable step", `{"name":"x","start":"a","steps":[{"id":"a","type":"end"},{"id":"b","type":"end"}]}`, "steps[1]", "unreachable"},
		{"bad duration", `{"name":"x","start":"a","steps":[{"id":"a","type":"wait","config":{"mode":"delay","duration":"soon"}}]}`, "steps[0].config.duration", "not a duration"},
		{"loop without wait", `{"name":"x","start":"a","steps":[{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":"b"},{"id":"b","type":"goto","config":{"step":"a"}}]}`, "steps[1].config.step", "no step that waits"},
		{"duplicate step id", `{"name":"x","start":"a","steps":[{"id":"a","type":"end"},{"id":"a","type":"end"}]}`, "steps[1].id", "duplicate"},
		{"missing name", `{"start":"a","steps":[{"id":"a","type":"end"}]}`, "name", "required"},
		{"missing start", `{"name":"x","steps":[{"id":"a","type":"end"}]}`, "start", "required"},
		{"bad start", `{"name":"x","start":"b","steps":[{"id":"a","type":"end"}]}`, "start", `"b"`},
		{"bad filter", `{"name":"x","triggers":[{"id":"t","type":"contact_created","filters":{"field":"contact.email","op":"nope"}}],"start":"a","steps":[{"id":"a","type":"end"}]}`, "triggers[0].filters.op", "unknown operator"},
		{"bad timezone", `{"name":"x","settings":{"timezone":"Mars/Base"},"start":"a","steps":[{"id":"a","type":"end"}]}`, "settings.timezone", "unknown timezone"},
		{"bad window", `{"name":"x","settings":{"time_window":{"days":["someday"],"start":"9","end":"17:00"}},"start":"a","steps":[{"id":"a","type":"end"}]}`, "settings.time_window.days[0]", "unknown day"},
		{"window start is end", `{"name":"x","settings":{"time_window":{"days":["mon"],"start":"09:00","end":"09:00"}},"start":"a","steps":[{"id":"a","type":"end"}]}`, "settings.time_window.end", "never open"},
		{"bad window end", `{"name":"x","settings":{"time_window":{"start":"09:00","end":"5pm"}},"start":"a","steps":[{"id":"a","type":"end"}]}`, "settings.time_window.end", "HH:MM"},
		{"unknown top-level field", `{"name":"x","strat":"a","start":"a","steps":[{"id":"a","type":"end"}]}`, "strat", "unknown field"},
		{"wrong top-level type", `{"name":"x","start":"a","steps":{"id":"a"}}`, "steps", "must be a list"},
		{"nested unknown field", `{"name":"x","start":"a","steps":[{"id":"a","type":"end","colour":"red"}]}`, "steps[0].colour", "unknown field"},
		{"nested wrong type", `{"name":"x","start":"a","steps":[{"id":"a","type":"end"},{"id":"b","type":"end","next":3}]}`, "steps[1].next", "must be a string"},
		{"retry on flow step", `{"name":"x","start":"a","steps":[{"id":"a","type":"end","retry":{"max_attempts":2}}]}`, "steps[0].retry", "only action steps"},
		{"dangling on_failure", `{"name":"x","start":"a","steps":[{"id":"a","type":"webhook","config":{"url":"https://example.com"},"on_failure":"nowhere"}]}`, "steps[0].on_failure", `"nowhere"`},
		{"webhook url", `{"name":"x","start":"a","steps":[{"id":"a","type":"webhook","config":{"url":"ftp://x"}}]}`, "steps[0].config.url", "http"},
		{"unknown wait mode", `{"name":"x","start":"a","steps":[{"id":"a","type":"wait","config":{"mode":"forever"}}]}`, "steps[0].config.mode", "unknown wait mode"},
		{"update unknown contact field", `{"name":"x","start":"a","steps":[{"id":"a","type":"update_contact","config":{"fields":{"shoe_size":"9"}}}]}`, "steps[0].config.fields.shoe_size", "unknown contact field"},
	}
	for _, c := range cases {
		f := faults(t, c.def)
		msg, ok := f[c.path]
		if !ok {
			t.Errorf("%s: no fault at %s; got %v", c.name, c.path, f)
			continue
		}
		if !strings.Contains(msg, c.contains) {
			t.Errorf("%s: %s = %q, want it to mention %q", c.name, c.path, msg, c.contains)
		}
	}
}

func TestAllFaultsAreReportedAtOnce(t *testing.T) {
	f := faults(t, `{"name":"","start":"a","steps":[
		{"id":"a","type":"send_sms","config":{},"next":"b"},
		{"id":"b","type":"nope"},
		{"id":"c","type":"end"}]}`)
	for _, p := range []string{"name", "steps[0].config.body", "steps[1].type", "steps[2]"} {
		if _, ok := f[p]; !ok {
			t.Errorf("missing fault at %s; got %v", p, f)
		}
	}
}

func TestMalformedJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `[]`, `{"name": "x"} trailing`} {
		_, errs := Parse([]byte(body))
		if len(errs) == 0 {
			t.Errorf("%q: no error", body)
		}
	}
}

func TestConfigKeysAreExact(t *testing.T) {
	for _, def := range []string{
		`{"name":"x","start":"a","steps":[{"id":"a","type":"send_sms","config":{"Body":"hi"}}]}`,
		`{"name":"x","start":"a","steps":[{"id":"a","type":"send_sms","config":{"body":"a","Body":"b"}}]}`,
		`{"name":"x","start":"a","steps":[{"id":"a","type":"wait","config":{"MODE":"delay","Duration":"5s"}}]}`,
	} {
		f := faults(t, def)
		found := false
		for path, msg := range f {
			if strings.HasPrefix(path, "steps[0].config.") && strings.Contains(msg, "unknown field") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: faults %v, want the mis-cased key named as unknown", def, f)
		}
	}
}

package check

import (
	"strings"
	"testing"
)

// A read of steps.<id> whose id no step has warns at the exact field or
// config string that reads it, wherever a condition tree or a template is.
func TestWarningsForReadsOfMissingSteps(t *testing.T) {
	const msg = `reads steps.nope, but no step has the id "nope"`
	cases := []struct {
		name, def, path string
	}{
		{"if_else branch leaf", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","config":{"body":"hi"},"next":"b"},
			{"id":"b","type":"if_else","config":{"branches":[
				{"name":"one","when":{"field":"contact.email","op":"is_not_empty"},"next":"c"},
				{"name":"two","when":{"all":[{"field":"steps.a.message_id","op":"is_not_empty"},{"not":{"field":"steps.nope.status","op":"is","value":"ok"}}]},"next":"c"}],"else":"c"}},
			{"id":"c","type":"end"}]}`, "steps[1].config.branches[1].when.all[1].not.field"},
		{"condition wait", `{"name":"x","start":"w","steps":[
			{"id":"w","type":"wait","config":{"mode":"condition","until":{"any":[{"field":"steps.nope","op":"is_not_empty"}]},"timeout":"1d"}}]}`,
			"steps[0].config.until.any[0].field"},
		{"event wait filter", `{"name":"x","start":"w","steps":[
			{"id":"w","type":"wait","config":{"mode":"event","events":[{"type":"customer_replied"},{"type":"email_event","filters":{"field":"steps.nope.x","op":"is","value":"1"}}],"timeout":"1d"}}]}`,
			"steps[0].config.events[1].filters.field"},
		{"goal filter", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"add_tag","config":{"tags":["t"]},"next":"g"},
			{"id":"g","type":"goal","config":{"events":[{"type":"customer_replied","filters":{"field":"steps.nope.x","op":"is_empty"}}]}}]}`,
			"steps[1].config.events[0].filters.field"},
		{"trigger filter", `{"name":"x","triggers":[{"id":"t","type":"contact_tag_added","filters":{"all":[{"field":"event.tag","op":"is","value":"a"},{"field":"steps.nope.x","op":"is_empty"}]}}],
			"start":"a","steps":[{"id":"a","type":"end"}]}`, "triggers[0].filters.all[1].field"},
		{"template in body", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","config":{"body":"hi"},"next":"b"},
			{"id":"b","type":"send_email","config":{"subject":"s","body":"Order {{ steps.nope.response.body.id | upcase }}"}}]}`,
			"steps[1].config.body"},
		{"template in a tag", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","config":{"body":"{% if steps.nope.ok %}yes{% endif %}"}}]}`, "steps[0].config.body"},
		{"template deep in a webhook body", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"custom_webhook","config":{"method":"POST","url":"https://example.com/x","body":{"items":[{"id":"{{steps.nope.id}}"}]}}}]}`,
			"steps[0].config.body.items[0].id"},
		{"template in a map value", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"update_contact","config":{"fields":{"custom.plan":"{{steps.nope.plan}}"}}}]}`,
			"steps[0].config.fields.custom.plan"},
	}
	for _, c := range cases {
		w := warnings(t, c.def)
		if len(w) != 1 || w[c.path] != msg {
			t.Errorf("%s: want only %q at %s; got %v", c.name, msg, c.path, w)
		}
	}
}

// Reads that can only be empty although the step exists: it is disabled,
// the read is a trigger filter (no step has run), or nothing leads from the
// step to the one that reads it.
func TestWarningsForReadsOfStepsThatNeverRanBefore(t *testing.T) {
	cases := []struct {
		name, def, path, contains string
	}{
		{"disabled step", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","disabled":true,"config":{"body":"hi"},"next":"b"},
			{"id":"b","type":"send_sms","config":{"body":"{{steps.a.message_id}}"}}]}`,
			"steps[1].config.body", `reads steps.a, but step "a" is disabled`},
		{"trigger filter", `{"name":"x","triggers":[{"id":"t","type":"contact_created","filters":{"field":"steps.a.x","op":"is_empty"}}],
			"start":"a","steps":[{"id":"a","type":"end"}]}`,
			"triggers[0].filters.field", "reads steps.a, but trigger filters are checked before any step runs"},
		{"later step", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","config":{"body":"{{steps.b.message_id}}"},"next":"b"},
			{"id":"b","type":"send_sms","config":{"body":"hi"}}]}`,
			"steps[0].config.body", `reads steps.b, but step "b" never runs before this step`},
		{"other branch", `{"name":"x","start":"i","steps":[
			{"id":"i","type":"if_else","config":{"branches":[{"name":"b","when":{"field":"contact.email","op":"is_empty"},"next":"a"}],"else":"b"}},
			{"id":"a","type":"send_sms","config":{"body":"a"}},
			{"id":"b","type":"if_else","config":{"branches":[{"name":"b","when":{"field":"steps.a.message_id","op":"is_empty"},"next":"c"}],"else":"c"}},
			{"id":"c","type":"end"}]}`,
			"steps[2].config.branches[0].when.field", `reads steps.a, but step "a" never runs before this step`},
		{"its own output", `{"name":"x","start":"a","steps":[
			{"id":"a","type":"custom_webhook","config":{"method":"GET","url":"https://example.com/{{steps.a.response.body.id}}"}}]}`,
			"steps[0].config.url", "reads steps.a, but that is this step's own output"},
	}
	for _, c := range cases {
		w := warnings(t, c.def)
		if msg, ok := w[c.path]; len(w) != 1 || !ok || !strings.Contains(msg, c.contains) {
			t.Errorf("%s: want one warning at %s containing %q; got %v", c.name, c.path, c.contains, w)
		}
	}
}

func TestNoWarningsForReadsOfStepsThatMayHaveRun(t *testing.T) {
	for name, def := range map[string]string{
		"an earlier step": `{"name":"x","start":"a","steps":[
			{"id":"a","type":"custom_webhook","config":{"method":"GET","url":"https://example.com"},"next":"b"},
			{"id":"b","type":"if_else","config":{"branches":[{"name":"ok","when":{"field":"steps.a.response.status","op":"is","value":200},"next":"c"}],"else":"c"}},
			{"id":"c","type":"send_sms","config":{"body":"{{ steps.a.response.body.name | default: steps[\"b\"].branch }}"}}]}`,
		"through a failure path": `{"name":"x","start":"a","steps":[
			{"id":"a","type":"custom_webhook","config":{"method":"GET","url":"https://example.com"},"on_failure":"c","next":"b"},
			{"id":"b","type":"end"},
			{"id":"c","type":"send_sms","config":{"body":"{{steps.a.error}}"}}]}`,
		"itself, in a loop": `{"name":"x","start":"w","steps":[
			{"id":"w","type":"wait","config":{"mode":"delay","duration":"1d"},"next":"a"},
			{"id":"a","type":"send_sms","config":{"body":"last time: {{steps.a.message_id}}"},"next":"g"},
			{"id":"g","type":"goto","config":{"step":"w"}}]}`,
		// a runs after the goal, which the run jumps to from w when the
		// reply comes, after a: the second time a runs, steps.a is there.
		"a step before a goal jump": `{"name":"x","start":"g","steps":[
			{"id":"g","type":"goal","config":{"events":[{"type":"customer_replied"}],"if_unmet":"continue"},"next":"b"},
			{"id":"b","type":"send_sms","config":{"body":"{% if steps.a.message_id %}again{% endif %}"},"next":"a"},
			{"id":"a","type":"send_sms","config":{"body":"hi"},"next":"w"},
			{"id":"w","type":"wait","config":{"mode":"delay","duration":"1d"}}]}`,
		"a goal filter reads any step": `{"name":"x","start":"g","steps":[
			{"id":"g","type":"goal","config":{"events":[{"type":"customer_replied","filters":{"field":"steps.a.x","op":"is_empty"}}],"if_unmet":"continue"},"next":"a"},
			{"id":"a","type":"send_sms","config":{"body":"hi"}}]}`,
		"not a read of a step": `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","config":{"body":"{{ 'steps.nope' }} {% raw %}{{steps.nope}}{% endraw %} steps.nope {{contact.steps.nope}}"},"next":"b"},
			{"id":"b","type":"custom_code","config":{"code":"const o = {a: {steps: 1}}; // {{steps.nope}}\nreturn {x: '{{' + o.a.steps + '}}'}"},"next":"c"},
			{"id":"c","type":"if_else","config":{"branches":[{"name":"b","when":{"field":"contact.email","op":"is","value":"{{steps.nope}}"},"next":"d"}],"else":"d"}},
			{"id":"d","type":"end"}]}`,
		"a disabled reader": `{"name":"x","start":"a","steps":[
			{"id":"a","type":"send_sms","disabled":true,"config":{"body":"{{steps.nope.x}}"}}]}`,
	} {
		if w := warnings(t, def); len(w) != 0 {
			t.Errorf("%s: want no warning, got %v", name, w)
		}
	}
}

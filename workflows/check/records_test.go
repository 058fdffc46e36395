package check

import (
	"strings"
	"testing"
)

// one wraps a single step (and, when next is set, an end step after it)
// into a definition.
func one(step string) string {
	return `{"name":"x","start":"a","steps":[` + step + `,{"id":"z","type":"end"}]}`
}

func TestRecordStepsValidate(t *testing.T) {
	for _, step := range []string{
		`{"id":"a","type":"create_contact","config":{"fields":{"email":"{{event.email}}","custom.source":"form"}},"next":"z"}`,
		`{"id":"a","type":"delete_contact"},{"id":"q","type":"end"}`,
		`{"id":"a","type":"assign_user","config":{"user_ids":["u1","{{event.owner_id}}"],"mode":"round_robin"},"next":"z"}`,
		`{"id":"a","type":"assign_user","config":{"user_ids":["u1"]},"next":"z"}`,
		`{"id":"a","type":"unassign_user","next":"z"}`,
		`{"id":"a","type":"set_dnd","config":{"channel":"all","value":false},"next":"z"}`,
		`{"id":"a","type":"add_note","config":{"body":"Called {{contact.first_name}}"},"next":"z"}`,
		`{"id":"a","type":"add_task","config":{"title":"Call back","body":"b","assignee_id":"u1","due_in":"2d"},"next":"z"}`,
		`{"id":"a","type":"create_opportunity","config":{"pipeline_id":"p1","value":"1500.00","status":"open"},"next":"z"}`,
		`{"id":"a","type":"create_opportunity","config":{"pipeline_id":"p1","value":"{{event.amount}}","status":"{{event.status}}"},"next":"z"}`,
		`{"id":"a","type":"update_opportunity","config":{"pipeline_id":"p1","status":"won"},"next":"z"}`,
		`{"id":"a","type":"remove_opportunity","next":"z"}`,
		`{"id":"a","type":"remove_opportunity","config":{"pipeline_id":"p1"},"next":"z"}`,
	} {
		def := one(step)
		if strings.Contains(step, "delete_contact") {
			def = `{"name":"x","start":"a","steps":[{"id":"a","type":"delete_contact"}]}`
		}
		if f := faults(t, def); len(f) != 0 {
			t.Errorf("%s: faults %v", step, f)
		}
	}
}

func TestRecordStepFaultsAreNamedByPath(t *testing.T) {
	cases := []struct{ name, step, path, contains string }{
		{"create_contact unknown field", `{"id":"a","type":"create_contact","config":{"fields":{"shoe":"9"}},"next":"z"}`, "steps[0].config.fields.shoe", "unknown contact field"},
		{"create_contact no fields", `{"id":"a","type":"create_contact","config":{},"next":"z"}`, "steps[0].config.fields", "required"},
		{"create_contact bad template", `{"id":"a","type":"create_contact","config":{"fields":{"email":"{{event.email"}},"next":"z"}`, "steps[0].config.fields.email", "parse"},
		{"delete_contact with next", `{"id":"a","type":"delete_contact","next":"z"}`, "steps[0].next", "ends the enrollment"},
		{"delete_contact config", `{"id":"a","type":"delete_contact","config":{"hard":true}}`, "steps[0].config.hard", "unknown field"},
		{"assign_user no users", `{"id":"a","type":"assign_user","config":{"user_ids":[]},"next":"z"}`, "steps[0].config.user_ids", "at least one"},
		{"assign_user empty user", `{"id":"a","type":"assign_user","config":{"user_ids":["u1"," "]},"next":"z"}`, "steps[0].config.user_ids[1]", "required"},
		{"assign_user bad mode", `{"id":"a","type":"assign_user","config":{"user_ids":["u1"],"mode":"random"},"next":"z"}`, "steps[0].config.mode", "round_robin"},
		{"assign_user unknown field", `{"id":"a","type":"assign_user","config":{"user_ids":["u1"],"users":["u2"]},"next":"z"}`, "steps[0].config.users", "unknown field"},
		{"unassign_user config", `{"id":"a","type":"unassign_user","config":{"user_id":"u1"},"next":"z"}`, "steps[0].config.user_id", "unknown field"},
		{"set_dnd bad channel", `{"id":"a","type":"set_dnd","config":{"channel":"fax","value":true},"next":"z"}`, "steps[0].config.channel", "sms, email or all"},
		{"set_dnd no value", `{"id":"a","type":"set_dnd","config":{"channel":"sms"},"next":"z"}`, "steps[0].config.value", "required"},
		{"set_dnd value type", `{"id":"a","type":"set_dnd","config":{"channel":"sms","value":"yes"},"next":"z"}`, "steps[0].config.value", "true or false"},
		{"add_note no body", `{"id":"a","type":"add_note","config":{},"next":"z"}`, "steps[0].config.body", "required"},
		{"add_note bad template", `{"id":"a","type":"add_note","config":{"body":"{% if %}"},"next":"z"}`, "steps[0].config.body", ""},
		{"add_task no title", `{"id":"a","type":"add_task","config":{"body":"x"},"next":"z"}`, "steps[0].config.title", "required"},
		{"add_task bad due_in", `{"id":"a","type":"add_task","config":{"title":"t","due_in":"tomorrow"},"next":"z"}`, "steps[0].config.due_in", "not a duration"},
		{"add_task zero due_in", `{"id":"a","type":"add_task","config":{"title":"t","due_in":"0s"},"next":"z"}`, "steps[0].config.due_in", "longer than zero"},
		{"add_task bad assignee template", `{"id":"a","type":"add_task","config":{"title":"t","assignee_id":"{{contact.assigned_user_id"},"next":"z"}`, "steps[0].config.assignee_id", "parse"},
		{"add_task unknown field", `{"id":"a","type":"add_task","config":{"title":"t","due":"2d"},"next":"z"}`, "steps[0].config.due", "unknown field"},
		{"create_opportunity no pipeline", `{"id":"a","type":"create_opportunity","config":{"name":"n"},"next":"z"}`, "steps[0].config.pipeline_id", "required"},
		{"create_opportunity bad value", `{"id":"a","type":"create_opportunity","config":{"pipeline_id":"p","value":"-5"},"next":"z"}`, "steps[0].config.value", "decimal"},
		{"create_opportunity number value", `{"id":"a","type":"create_opportunity","config":{"pipeline_id":"p","value":15},"next":"z"}`, "steps[0].config.value", "must be a string"},
		{"create_opportunity bad status", `{"id":"a","type":"create_opportunity","config":{"pipeline_id":"p","status":"closed"},"next":"z"}`, "steps[0].config.status", "open, won, lost, abandoned"},
		{"update_opportunity nothing to change", `{"id":"a","type":"update_opportunity","config":{"pipeline_id":"p"},"next":"z"}`, "steps[0].config", "at least one"},
		{"update_opportunity bad template", `{"id":"a","type":"update_opportunity","config":{"pipeline_id":"p","stage_id":"{{event.stage"},"next":"z"}`, "steps[0].config.stage_id", "parse"},
		{"remove_opportunity unknown field", `{"id":"a","type":"remove_opportunity","config":{"pipeline":"p"},"next":"z"}`, "steps[0].config.pipeline", "unknown field"},
	}
	for _, c := range cases {
		f := faults(t, one(c.step))
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

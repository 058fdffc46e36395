package check

import (
	"strings"
	"testing"
)

// TestMessagingStepFaults: bad configs of the messaging steps are named by
// path on save.
func TestMessagingStepFaults(t *testing.T) {
	step := func(typ, config string) string {
		return `{"name":"x","start":"a","steps":[{"id":"a","type":"` + typ + `","config":` + config + `}]}`
	}
	cases := []struct {
		name, def, path, contains string
	}{
		{"sms from not a number", step("send_sms", `{"body":"x","from":"12"}`), "steps[0].config.from", "messaging service"},
		{"sms media not a URL", step("send_sms", `{"body":"x","media_urls":["ftp://x/a.png"]}`), "steps[0].config.media_urls[0]", "http"},
		{"email from not an address", step("send_email", `{"subject":"s","body":"b","from_email":"Acme <a@b.c>"}`), "steps[0].config.from_email", "from_name"},
		{"notification channel", step("internal_notification", `{"channel":"fax","user_ids":["u1"],"body":"b"}`), "steps[0].config.channel", "email, sms"},
		{"notification no channel", step("internal_notification", `{"user_ids":["u1"],"body":"b"}`), "steps[0].config.channel", "required"},
		{"notification no users", step("internal_notification", `{"channel":"email","user_ids":[],"body":"b"}`), "steps[0].config.user_ids", "required"},
		{"notification empty user", step("internal_notification", `{"channel":"email","user_ids":["u1"," "],"body":"b"}`), "steps[0].config.user_ids[1]", "empty"},
		{"notification user twice", step("internal_notification", `{"channel":"email","user_ids":["u1","u1"],"body":"b"}`), "steps[0].config.user_ids[1]", "twice"},
		{"notification bad template", step("internal_notification", `{"channel":"email","user_ids":["{{contact.x"],"body":"b"}`), "steps[0].config.user_ids[0]", "parse"},
		{"notification no body", step("internal_notification", `{"channel":"email","user_ids":["u1"]}`), "steps[0].config.body", "required"},
		{"notification sms subject", step("internal_notification", `{"channel":"sms","user_ids":["u1"],"subject":"s","body":"b"}`), "steps[0].config.subject", "email only"},
		{"notification unknown field", step("internal_notification", `{"channel":"sms","user_ids":["u1"],"body":"b","to":"x"}`), "steps[0].config.to", "unknown field"},
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
	for _, ok := range []string{
		step("send_sms", `{"body":"x","from":"MG0123456789abcdef0123456789abcdef","media_urls":["https://x.test/a.png","{{contact.custom.pic}}"]}`),
		step("send_sms", `{"body":"x","from":"(415) 555-0100"}`),
		step("send_sms", `{"body":"x","from":"Acme"}`),
		step("send_sms", `{"body":"x","from":"{{contact.custom.line}}"}`),
		step("send_email", `{"subject":"s","body":"<a href=\"{{unsubscribe_url}}\">stop</a>","from_email":"{{contact.custom.rep}}"}`),
		step("internal_notification", `{"channel":"email","user_ids":["u1","{{contact.assigned_user_id}}"],"subject":"New lead","body":"b"}`),
		step("internal_notification", `{"channel":"sms","user_ids":["u1"],"body":"b"}`),
	} {
		if f := faults(t, ok); len(f) != 0 {
			t.Errorf("%s: faults %v", ok, f)
		}
	}
}

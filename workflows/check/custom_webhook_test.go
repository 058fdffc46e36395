package check

import (
	"strings"
	"testing"
)

func customWebhook(config string) string {
	return `{"name":"x","start":"a","steps":[{"id":"a","type":"custom_webhook","config":` + config + `}]}`
}

func TestCustomWebhookConfigPasses(t *testing.T) {
	for _, config := range []string{
		`{"url": "https://api.example.com/people"}`,
		`{"method": "GET", "url": "https://api.example.com/people/{{contact.custom.remote_id}}", "query": {"expand": "{{event.tag}}"},
		  "auth": {"type": "api_key", "key": "api_key", "value": "{{custom_values.api_key}}", "in": "query"}, "timeout": "30s"}`,
		`{"method": "post", "url": "{{custom_values.crm_url}}/leads", "headers": {"X-Source": "crmflow", "Content-Type": "application/json"},
		  "auth": {"type": "bearer", "token": "{{custom_values.token}}"}, "body_type": "json",
		  "body": {"email": "{{contact.email}}", "n": 1, "tags": ["{{event.tag}}", null, true], "nested": {"x": "y"}}, "timeout": "1m"}`,
		`{"method": "PUT", "url": "https://api.example.com/f", "auth": {"type": "basic", "username": "sk_test_123"},
		  "body_type": "form", "body": {"email": "{{contact.email}}", "amount": 12.5, "ok": false}}`,
		`{"method": "DELETE", "url": "https://api.example.com/x", "auth": {"type": "none"}, "body": "just a JSON string"}`,
	} {
		if f := faults(t, customWebhook(config)); len(f) != 0 {
			t.Errorf("%s: faults %v", config, f)
		}
	}
}

func TestCustomWebhookFaultsAreNamedByPath(t *testing.T) {
	cases := []struct{ name, config, path, contains string }{
		{"bad method", `{"method": "FETCH", "url": "https://x.test"}`, "config.method", "unknown method"},
		{"missing url", `{"method": "GET"}`, "config.url", "required"},
		{"bad url", `{"url": "ftp://x.test/file"}`, "config.url", "http"},
		{"relative url", `{"url": "/people"}`, "config.url", "http"},
		{"bad url template", `{"url": "https://x.test/{{contact.id"}`, "config.url", "parse"},
		{"bad header name", `{"url": "https://x.test", "headers": {"X Bad": "v"}}`, "config.headers.X Bad", "header name"},
		{"reserved header", `{"url": "https://x.test", "headers": {"Host": "evil.test"}}`, "config.headers.Host", "cannot be set"},
		{"header line break", `{"url": "https://x.test", "headers": {"X-A": "a\r\nX-B: b"}}`, "config.headers.X-A", "line breaks"},
		{"header template", `{"url": "https://x.test", "headers": {"X-A": "{{contact.first_name | nosuchfilter}}"}}`, "config.headers.X-A", "filter"},
		{"header not text", `{"url": "https://x.test", "headers": {"X-A": 5}}`, "config.headers.X-A", "must be a string"},
		{"query template", `{"url": "https://x.test", "query": {"q": "{% if %}"}}`, "config.query.q", ""},
		{"unknown auth type", `{"url": "https://x.test", "auth": {"type": "oauth"}}`, "config.auth.type", "unknown auth type"},
		{"missing auth type", `{"url": "https://x.test", "auth": {"token": "t"}}`, "config.auth.type", "required"},
		{"basic without username", `{"url": "https://x.test", "auth": {"type": "basic", "password": "p"}}`, "config.auth.username", "required"},
		{"bearer without token", `{"url": "https://x.test", "auth": {"type": "bearer"}}`, "config.auth.token", "required"},
		{"api_key without value", `{"url": "https://x.test", "auth": {"type": "api_key", "key": "X-Key"}}`, "config.auth.value", "required"},
		{"api_key without key", `{"url": "https://x.test", "auth": {"type": "api_key", "value": "v"}}`, "config.auth.key", "required"},
		{"api_key bad in", `{"url": "https://x.test", "auth": {"type": "api_key", "key": "k", "value": "v", "in": "cookie"}}`, "config.auth.in", "header or query"},
		{"api_key bad header", `{"url": "https://x.test", "auth": {"type": "api_key", "key": "X Key", "value": "v"}}`, "config.auth.key", "header name"},
		{"field of another auth type", `{"url": "https://x.test", "auth": {"type": "bearer", "token": "t", "password": "p"}}`, "config.auth.password", "not used by auth type bearer"},
		{"unknown auth field", `{"url": "https://x.test", "auth": {"type": "bearer", "tokn": "t"}}`, "config.auth.tokn", "unknown field"},
		{"bad timeout", `{"url": "https://x.test", "timeout": "soon"}`, "config.timeout", "not a duration"},
		{"zero timeout", `{"url": "https://x.test", "timeout": "0s"}`, "config.timeout", "longer than zero"},
		{"long timeout", `{"url": "https://x.test", "timeout": "2m"}`, "config.timeout", "60s"},
		{"bad body type", `{"url": "https://x.test", "body_type": "xml", "body": "<a/>"}`, "config.body_type", "json or form"},
		{"form body not an object", `{"url": "https://x.test", "body_type": "form", "body": ["a"]}`, "config.body", "object"},
		{"form field nested", `{"url": "https://x.test", "body_type": "form", "body": {"a": {"b": 1}}}`, "config.body.a", "form field"},
		{"json body template", `{"url": "https://x.test", "body": {"items": [{"name": "{{contact.first_name"}]}}`, "config.body.items[0].name", "parse"},
		{"GET with body", `{"method": "GET", "url": "https://x.test", "body": {"a": 1}}`, "config.body", "GET"},
		{"unknown field", `{"url": "https://x.test", "hedaers": {}}`, "config.hedaers", "unknown field"},
	}
	for _, c := range cases {
		f := faults(t, customWebhook(c.config))
		msg, ok := f["steps[0]."+c.path]
		if !ok || !strings.Contains(msg, c.contains) {
			t.Errorf("%s: faults %v, want steps[0].%s containing %q", c.name, f, c.path, c.contains)
		}
	}
}

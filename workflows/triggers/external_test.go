package triggers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func TestExternalTypesRegisteredNotPlanned(t *testing.T) {
	for _, typ := range []string{"form_submitted", "survey_submitted", "order_submitted", "invoice_paid",
		"payment_received", "subscription_changed", "email_event", "customer_replied"} {
		k, ok := Lookup(typ)
		if !ok || Planned[typ] {
			t.Errorf("%s: registered %v, planned %v", typ, ok, Planned[typ])
			continue
		}
		if ev := k.Events(); len(ev) != 1 || ev[0] != typ {
			t.Errorf("%s fires on %v", typ, ev)
		}
	}
}

func trigger(t *testing.T, js string) *definition.Trigger {
	t.Helper()
	var tr definition.Trigger
	if err := json.Unmarshal([]byte(js), &tr); err != nil {
		t.Fatal(err)
	}
	return &tr
}

// TestReplyFilters are the filters builders put on customer_replied:
// phrase contains, exact match, channel.
func TestReplyFilters(t *testing.T) {
	reply := func(channel, body string) condition.MapScope {
		return condition.MapScope{"event": map[string]any{"channel": channel, "body": body, "message_id": "SM1"}}
	}
	cases := []struct {
		name, filters string
		scope         condition.MapScope
		want          bool
	}{
		{"contains", `{"field": "event.body", "op": "contains", "value": "yes"}`, reply("sms", "Oh YES please"), true},
		{"contains, absent", `{"field": "event.body", "op": "contains", "value": "yes"}`, reply("sms", "no thanks"), false},
		{"exact", `{"field": "event.body", "op": "is", "value": "yes"}`, reply("sms", " Yes "), true},
		{"exact is not contains", `{"field": "event.body", "op": "is", "value": "yes"}`, reply("sms", "yes please"), false},
		{"channel", `{"all": [{"field": "event.channel", "op": "is", "value": "sms"}, {"field": "event.body", "op": "contains", "value": "book"}]}`,
			reply("sms", "I want to book"), true},
		{"other channel", `{"field": "event.channel", "op": "is", "value": "sms"}`, reply("email", "I want to book"), false},
		{"email event", `{"field": "event.event", "op": "in", "value": ["opened", "clicked"]}`,
			condition.MapScope{"event": map[string]any{"event": "clicked", "url": "https://x.test"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := trigger(t, `{"id": "t1", "type": "customer_replied", "filters": `+tc.filters+`}`)
			p := validation.NewProblems()
			k, _ := Lookup(tr.Type)
			k.Validate(p, tr)
			condition.Validate(p.At("filters"), tr.Filters)
			if errs := p.Errors(); errs != nil {
				t.Fatalf("valid filters refused: %v", errs)
			}
			if got := condition.Evaluate(tr.Filters, tc.scope, time.Now()); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClosedSetFilterValues(t *testing.T) {
	cases := []struct {
		js   string
		path string // "" when valid
	}{
		{`{"id": "t", "type": "email_event", "filters": {"field": "event.event", "op": "is", "value": "Opened"}}`, ""},
		{`{"id": "t", "type": "email_event", "filters": {"field": "event.event", "op": "is", "value": "open"}}`, "filters.value"},
		{`{"id": "t", "type": "email_event", "filters": {"any": [{"field": "event.url", "op": "contains", "value": "x"},
			{"field": "event.event", "op": "in", "value": ["clicked", "read"]}]}}`, "filters.any[1].value"},
		{`{"id": "t", "type": "customer_replied", "filters": {"not": {"field": "event.channel", "op": "is", "value": "fax"}}}`, "filters.not.value"},
		{`{"id": "t", "type": "customer_replied", "filters": {"field": "event.channel", "op": "contains", "value": "s"}}`, ""},
		{`{"id": "t", "type": "form_submitted", "config": {"form": "x"}}`, "config"},
	}
	for _, tc := range cases {
		tr := trigger(t, tc.js)
		k, _ := Lookup(tr.Type)
		p := validation.NewProblems()
		k.Validate(p, tr)
		errs := p.Errors()
		switch {
		case tc.path == "" && errs != nil:
			t.Errorf("%s: refused: %v", tc.js, errs)
		case tc.path != "" && (len(errs) != 1 || errs[0].Path != tc.path):
			t.Errorf("%s: errors %v, want one at %s", tc.js, errs, tc.path)
		}
	}
}

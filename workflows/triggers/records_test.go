package triggers

import (
	"encoding/json"
	"testing"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func TestRecordTriggersAreRegisteredAndNotPlanned(t *testing.T) {
	for _, typ := range []string{"note_added", "task_added", "task_completed", "opportunity_created",
		"opportunity_status_changed", "pipeline_stage_changed", "appointment_booked", "appointment_status_changed",
		"contact_changed", "contact_dnd_changed"} {
		k, ok := Lookup(typ)
		if !ok || Planned[typ] {
			t.Errorf("%s: registered %v, planned %v", typ, ok, Planned[typ])
			continue
		}
		if ev := k.Events(); len(ev) != 1 || ev[0] != typ {
			t.Errorf("%s listens to %v", typ, ev)
		}
	}
}

func TestObjectTriggersEnrollOncePerObject(t *testing.T) {
	cases := []struct {
		typ  string
		data map[string]any
		want string
	}{
		{"appointment_booked", map[string]any{"appointment_id": "a1"}, "appointment:a1"},
		{"appointment_status_changed", map[string]any{"appointment_id": "a1", "status": "confirmed"}, "appointment:a1"},
		{"opportunity_created", map[string]any{"opportunity_id": "o1"}, "opportunity:o1"},
		{"opportunity_status_changed", map[string]any{"opportunity_id": "o1"}, "opportunity:o1"},
		{"pipeline_stage_changed", map[string]any{"opportunity_id": "o1"}, "opportunity:o1"},
		{"appointment_booked", map[string]any{}, ""}, // posted by hand without an id: once per contact
	}
	for _, tc := range cases {
		k, _ := Lookup(tc.typ)
		sc, ok := k.(Scoped)
		if !ok {
			t.Errorf("%s is not scoped", tc.typ)
			continue
		}
		if got := sc.EntryScope(tc.data); got != tc.want {
			t.Errorf("%s %v: scope %q, want %q", tc.typ, tc.data, got, tc.want)
		}
	}
	for _, typ := range []string{"note_added", "task_completed", "contact_changed"} {
		if k, _ := Lookup(typ); k != nil {
			if _, ok := k.(Scoped); ok {
				t.Errorf("%s should enroll once per contact", typ)
			}
		}
	}
}

func TestContactChangedConfigValidated(t *testing.T) {
	cases := []struct {
		config string
		faults []string
	}{
		{``, nil},
		{`{}`, nil},
		{`{"fields": ["email", "custom.plan", "dnd"]}`, nil},
		{`{"fields": []}`, []string{"config.fields"}},
		{`{"fields": ["email", "plan", "custom.", "custom.a.b"]}`, []string{"config.fields[1]", "config.fields[2]", "config.fields[3]"}},
		{`{"fields": "email"}`, []string{"config.fields"}},
		{`{"field": ["email"]}`, []string{"config.field"}},
		{`["email"]`, []string{"config"}},
	}
	k, _ := Lookup("contact_changed")
	for _, tc := range cases {
		p := validation.NewProblems()
		k.Validate(p, &definition.Trigger{ID: "t1", Type: "contact_changed", Config: json.RawMessage(tc.config)})
		got := map[string]bool{}
		for _, e := range p.Errors() {
			got[e.Path] = true
		}
		if len(got) != len(tc.faults) {
			t.Errorf("config %s: faults %v, want %v", tc.config, p.Errors(), tc.faults)
		}
		for _, f := range tc.faults {
			if !got[f] {
				t.Errorf("config %s: no fault at %s (%v)", tc.config, f, p.Errors())
			}
		}
	}
	// Record triggers without config refuse one: selecting is done with filters.
	n, _ := Lookup("appointment_booked")
	p := validation.NewProblems()
	n.Validate(p, &definition.Trigger{ID: "t1", Type: "appointment_booked", Config: json.RawMessage(`{"calendar_id": "c1"}`)})
	if len(p.Errors()) != 1 || p.Errors()[0].Path != "config" {
		t.Errorf("appointment_booked with config: %v", p.Errors())
	}
}

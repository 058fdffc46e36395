package triggers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() {
	register(contactChanged{})
	register(recordEvent{typ: "contact_dnd_changed"})
}

// contactChanged fires on contact_changed, whose data is {"changed",
// "before", "after"}. Builders select with filters ("field changed":
// event.changed contains custom.plan; "changed to": event.after.custom.plan
// is gold), or with the config {"fields": [...]}: fire only when one of
// those fields changed.
type contactChanged struct{}

func (contactChanged) Type() string     { return "contact_changed" }
func (contactChanged) Events() []string { return []string{"contact_changed"} }

// ContactFields are the contact fields contact_changed reports by name;
// custom fields are reported as custom.<key>.
var ContactFields = []string{"first_name", "last_name", "email", "phone", "timezone", "date_of_birth",
	"assigned_user_id", "stripe_customer_id", "dnd"}

var customField = regexp.MustCompile(`^custom\.[^.\s]+$`)

type contactChangedConfig struct {
	Fields []string `json:"fields"`
}

func (contactChanged) Validate(p *validation.Problems, t *definition.Trigger) {
	cfg, ok := decodeContactChanged(p, t.Config)
	if !ok || cfg == nil {
		return
	}
	if cfg.Fields == nil {
		return
	}
	if len(cfg.Fields) == 0 {
		p.Add("config.fields", "list at least one field, or leave fields out to fire on any change")
	}
	for i, f := range cfg.Fields {
		if !slices.Contains(ContactFields, f) && !customField.MatchString(f) {
			p.Add(fmt.Sprintf("config.fields[%d]", i), "unknown contact field %q: use one of %s, or custom.<key>",
				f, strings.Join(ContactFields, ", "))
		}
	}
}

// Accepts lets the event through when no fields are configured, or when one
// of them is among the changed ones.
func (contactChanged) Accepts(t *definition.Trigger, data map[string]any) bool {
	cfg, ok := decodeContactChanged(nil, t.Config)
	if !ok {
		return false
	}
	if cfg == nil || len(cfg.Fields) == 0 {
		return true
	}
	var changed []string
	switch c := data["changed"].(type) {
	case []string:
		changed = c
	case []any: // read back from JSON
		for _, v := range c {
			if s, ok := v.(string); ok {
				changed = append(changed, s)
			}
		}
	}
	return slices.ContainsFunc(cfg.Fields, func(f string) bool { return slices.Contains(changed, f) })
}

// decodeContactChanged reads the config strictly; nil means none given.
// Faults go to p when it is not nil.
func decodeContactChanged(p *validation.Problems, raw json.RawMessage) (*contactChangedConfig, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		if p != nil {
			p.Add("config", "must be a JSON object")
		}
		return nil, false
	}
	if _, isObject := doc.(map[string]any); !isObject {
		if p != nil {
			p.Add("config", "must be an object like {\"fields\": [\"email\", \"custom.plan\"]}")
		}
		return nil, false
	}
	if errs := validation.Shape(doc, reflect.TypeFor[contactChangedConfig]()); errs != nil {
		if p != nil {
			for _, e := range errs {
				p.Add(validation.JoinPath("config", e.Path), "%s", e.Message)
			}
		}
		return nil, false
	}
	var cfg contactChangedConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		if p != nil {
			p.Add("config", "%v", err)
		}
		return nil, false
	}
	return &cfg, true
}

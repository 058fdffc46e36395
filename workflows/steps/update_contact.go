package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(updateContact{}) }

// ContactFields are the standard contact fields a step may set; anything
// else is written as "custom.<key>".
var ContactFields = map[string]bool{
	"first_name": true, "last_name": true, "email": true, "phone": true, "timezone": true, "date_of_birth": true,
}

type updateContactConfig struct {
	Fields map[string]string `json:"fields"`
}

// updateContact sets standard and custom fields of the contact.
type updateContact struct{ noTargets }

func (updateContact) Type() string { return "update_contact" }
func (updateContact) Remote() bool { return false }

func (updateContact) Validate(p *validation.Problems, s *definition.Step) {
	var c updateContactConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if len(c.Fields) == 0 {
		p.Add("config.fields", "at least one field is required")
	}
	for _, k := range sortedKeys(c.Fields) {
		path := "config.fields." + k
		if !ContactFields[k] && (!strings.HasPrefix(k, "custom.") || len(k) == len("custom.")) {
			p.Add(path, "unknown contact field %q (standard fields: first_name, last_name, email, phone, timezone, date_of_birth; custom fields: custom.<key>)", k)
			continue
		}
		checkTemplate(p, path, c.Fields[k])
	}
}

func (updateContact) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c updateContactConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	fields := make(map[string]string, len(c.Fields))
	for _, k := range sortedKeys(c.Fields) {
		v, err := call.Render(c.Fields[k])
		if err != nil {
			return Result{}, fmt.Errorf("config.fields.%s: %w", k, err)
		}
		fields[k] = v
	}
	changed, err := env.UpdateContact(ctx, call, fields)
	if err != nil {
		return Result{}, err
	}
	if changed == nil {
		changed = []string{} // "nothing changed" reads [] in the log, as for tags
	}
	return Result{Output: map[string]any{"changed": changed}}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

// decodeConfig decodes a step's config strictly (unknown fields are faults,
// so a typo never silently does nothing) and reports faults at config.<field>.
// Unknown fields and values of the wrong type are all named at once, and
// left out of dst as if omitted, so that the caller's own checks still run
// on the rest (it returns true): every fault shows in one answer. What a
// left-out value would make those checks say (that it is required, a sum
// it is missing from) is dropped, see validation.Problems.Refused.
func decodeConfig(p *validation.Problems, raw json.RawMessage, dst any) bool {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = []byte("{}")
	}
	// encoding/json matches keys without regard to case ("Body" would fill
	// body): check the shape with exact keys first, naming every fault.
	doc, err := validation.Decode(raw)
	if err != nil {
		p.Add("config", "invalid config: %v", err)
		return false
	}
	doc, errs := validation.Prune(doc, reflect.TypeOf(dst).Elem())
	if errs != nil {
		cp := p.At("config")
		for _, e := range errs {
			cp.Add(e.Path, "%s", e.Message)
		}
		if doc == nil {
			return false // the config is not even an object
		}
		for _, e := range errs {
			switch meant, ok := validation.Meant(e); {
			case ok: // "Duration" for duration: refused, not missing
				cp.Refused(siblingPath(e.Path, meant))
			case !validation.IsUnknownField(e):
				cp.Refused(e.Path)
			}
		}
		if raw, err = json.Marshal(doc); err != nil {
			p.Add("config", "invalid config: %v", err)
			return false
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			p.Add("config."+te.Field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			p.Add("config."+field, "unknown field")
		default:
			p.Add("config", "invalid config: %v", err)
		}
		return false
	}
	return true
}

// readConfig decodes a config as far as it goes, for the graph checks
// (Targets, Waits) of a definition that may have faults: a wrongly typed
// or unknown field is left out (Validate names it), and the rest is read
// as decodeConfig reads it, so that one bad field elsewhere in the config
// does not hide where the step leads and make the steps after it look
// unreachable. It reports whether anything could be read.
func readConfig(raw json.RawMessage, dst any) bool {
	if len(bytes.TrimSpace(raw)) == 0 {
		return true
	}
	doc, err := validation.Decode(raw)
	if err != nil {
		return false
	}
	doc, errs := validation.Prune(doc, reflect.TypeOf(dst).Elem())
	if errs != nil {
		if raw, err = json.Marshal(doc); err != nil {
			return false
		}
	}
	return json.Unmarshal(raw, dst) == nil
}

// mustDecode decodes a config that validation already accepted.
func mustDecode(raw json.RawMessage, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("reading step config: %w", err)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	default:
		return "a number"
	}
}

// checkTemplate reports a template that does not parse.
func checkTemplate(p *validation.Problems, path, s string) {
	if err := template.Check(s); err != nil {
		p.Add(path, "%s", err.Error())
	}
}

// required reports an empty required string.
func required(p *validation.Problems, path, s string) bool {
	if strings.TrimSpace(s) == "" {
		p.Add(path, "is required")
		return false
	}
	return true
}

// noTargets is for kinds that only go to their own next.
type noTargets struct{}

func (noTargets) Targets(*definition.Step) []Target { return nil }

// siblingPath is the path of key beside the value at path ("a.B", "b" -> "a.b").
func siblingPath(path, key string) string {
	if i := strings.LastIndexAny(path, ".["); i > 0 {
		return path[:i] + "." + key
	}
	return key
}

// Package template renders the Liquid templates of step configs
// ({{contact.first_name | default: "there"}}) with github.com/osteele/liquid.
package template

import (
	"fmt"
	"strings"
	"sync"

	"github.com/osteele/liquid"
)

var (
	engine = liquid.NewEngine()
	// cache keeps parsed templates: the same few bodies render for every contact.
	cache sync.Map // string -> *liquid.Template
)

// IsTemplate reports whether s has Liquid markup at all; plain strings skip the engine.
func IsTemplate(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

// Check parses s and returns a readable error when it is not valid Liquid.
func Check(s string) error {
	if !IsTemplate(s) {
		return nil
	}
	t, err := parse(s)
	if err != nil {
		return err
	}
	// Filters are looked up only while rendering: render once with no data
	// so that a misspelt filter is a fault on save, not a failed send.
	if _, rerr := t.RenderString(map[string]any{}); rerr != nil && strings.Contains(rerr.Error(), "undefined filter") {
		return fmt.Errorf("template does not parse: %s", rerr.Error())
	}
	return nil
}

// Render renders s against scope (contact, event, steps, account, custom_values...).
// A missing variable renders as empty text, as in Liquid.
func Render(s string, scope map[string]any) (string, error) {
	if !IsTemplate(s) {
		return s, nil
	}
	t, err := parse(s)
	if err != nil {
		return "", err
	}
	out, rerr := t.RenderString(scope)
	if rerr != nil {
		return "", fmt.Errorf("rendering template: %s", rerr.Error())
	}
	return out, nil
}

func parse(s string) (*liquid.Template, error) {
	if t, ok := cache.Load(s); ok {
		return t.(*liquid.Template), nil
	}
	if err := balanced(s); err != nil {
		return nil, err
	}
	t, err := engine.ParseString(quoteLinkIDs(s))
	if err != nil {
		return nil, fmt.Errorf("template does not parse: %s", err.Error())
	}
	cache.Store(s, t)
	return t, nil
}

// balanced reports a "{{" or "{%" that is never closed. The engine would
// print such text as it is; a builder almost surely forgot the braces.
func balanced(s string) error {
	for _, d := range [][2]string{{"{{", "}}"}, {"{%", "%}"}} {
		rest := s
		for {
			i := strings.Index(rest, d[0])
			if i < 0 {
				break
			}
			rest = rest[i+2:]
			j := strings.Index(rest, d[1])
			if k := strings.Index(rest, d[0]); j < 0 || (k >= 0 && k < j) {
				return fmt.Errorf("template does not parse: %q at offset %d is never closed with %q", d[0], len(s)-len(rest)-2, d[1])
			}
			rest = rest[j+2:]
		}
	}
	return nil
}

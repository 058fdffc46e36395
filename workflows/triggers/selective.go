package triggers

import "github.com/crmflow/crmflow/workflows/definition"

// Selective is a trigger whose config narrows which events fire it, on top
// of its filters (contact_changed's "fields", for example). The router asks
// Accepts after the filters hold; the config was validated on save, so a
// config that does not decode simply accepts nothing.
type Selective interface {
	Accepts(t *definition.Trigger, data map[string]any) bool
}

// Accepts reports whether the trigger's own config lets the event through:
// true for kinds that are not Selective.
func Accepts(t *definition.Trigger, data map[string]any) bool {
	k, ok := Lookup(t.Type)
	if !ok {
		return true
	}
	if s, ok := k.(Selective); ok {
		return s.Accepts(t, data)
	}
	return true
}

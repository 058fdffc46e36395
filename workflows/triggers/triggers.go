// Package triggers holds the trigger types: one file a type (or family),
// with its config, its validation, and which events it listens to.
package triggers

import (
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/registry"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Kind is what every trigger type provides.
type Kind interface {
	Type() string
	// Events are the event types that may fire it.
	Events() []string
	// Validate checks the trigger's config; p points at the trigger (triggers[i]).
	Validate(p *validation.Problems, t *definition.Trigger)
}

// Scoped is a trigger that enrolls a contact once per object rather than
// once per contact (appointment and opportunity triggers): EntryScope names
// the object from the event's data, e.g. "appointment:<id>".
type Scoped interface {
	EntryScope(data map[string]any) string
}

var kinds = registry.New[Kind]("trigger")

// register adds a kind; each type's file calls it from init.
func register(k Kind) { kinds.Add(k) }

// Lookup returns the kind of a trigger type.
func Lookup(typ string) (Kind, bool) { return kinds.Lookup(typ) }

// Types lists the registered trigger types, sorted.
func Types() []string { return kinds.Types() }

// Planned are trigger types of the contract that this build does not fire yet.
var Planned = map[string]bool{}

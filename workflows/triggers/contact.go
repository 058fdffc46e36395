package triggers

import (
	"bytes"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() {
	register(recordEvent{typ: "contact_created"})
	register(recordEvent{typ: "contact_tag_added"})
	register(recordEvent{typ: "contact_tag_removed"})
}

// recordEvent is a trigger fired by the event of the same name, which the API
// raises itself when a record changes; its filters do all the selecting.
type recordEvent struct{ typ string }

func (r recordEvent) Type() string     { return r.typ }
func (r recordEvent) Events() []string { return []string{r.typ} }

func (recordEvent) Validate(p *validation.Problems, t *definition.Trigger) {
	if c := bytes.TrimSpace(t.Config); len(c) > 0 && string(c) != "null" && string(c) != "{}" {
		p.Add("config", "this trigger type takes no config; select with filters")
	}
}

package steps

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Event is something that happened to the contact: the event that enrolled
// it, or one signalled to its run later (a reply, a click, a tag...).
type Event struct {
	ID         string
	Type       string
	Data       map[string]any
	OccurredAt time.Time
	// Seq numbers the events a run received, from 1, across continue-as-new.
	Seq int `json:",omitempty"`
}

// EventMatcher is one entry of a wait's or a goal's `events`: an event
// type and the filters its data (and the contact) must pass.
type EventMatcher struct {
	Type    string          `json:"type"`
	Filters *condition.Node `json:"filters,omitempty"`
}

// AnyEvent matches every event type (used by waits that re-check on any change).
const AnyEvent = "*"

// MatchesType reports whether the event's type is the matcher's; the filters
// are checked by the runtime, against fresh contact data.
func (m EventMatcher) MatchesType(ev Event) bool {
	return m.Type == AnyEvent || m.Type == ev.Type
}

// EventTypePattern is what an event type looks like, the product's own or
// one of the caller's, posted to POST /v1/events (at most MaxEventTypeLen).
var EventTypePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// MaxEventTypeLen bounds an event type.
const MaxEventTypeLen = 64

// KnownEvents are the event types the product raises itself; a wait or a
// goal may also name a type of the caller's own (EventTypePattern).
var KnownEvents = map[string]bool{
	"contact_created": true, "contact_changed": true, "contact_tag_added": true, "contact_tag_removed": true,
	"contact_dnd_changed": true, "note_added": true, "task_added": true, "task_completed": true,
	"form_submitted": true, "survey_submitted": true, "appointment_booked": true, "appointment_status_changed": true,
	"appointment_rescheduled": true, "appointment_deleted": true, "opportunity_created": true, "opportunity_status_changed": true,
	"pipeline_stage_changed": true, "invoice_paid": true, "payment_received": true, "order_submitted": true,
	"subscription_changed": true, "customer_replied": true, "email_event": true, "trigger_link_clicked": true,
	"inbound_webhook": true,
}

// validateMatchers checks a list of {"type","filters"} at path.
func validateMatchers(p *validation.Problems, path string, ms []EventMatcher) {
	if len(ms) == 0 {
		p.Add(path, "at least one event is required, e.g. {\"type\": \"customer_replied\"}")
	}
	for i, m := range ms {
		ep := p.At(fmt.Sprintf("%s[%d]", path, i))
		switch {
		case m.Type == "":
			ep.Add("type", "is required (an event type such as customer_replied or trigger_link_clicked)")
		case !KnownEvents[m.Type] && (len(m.Type) > MaxEventTypeLen || !EventTypePattern.MatchString(m.Type)):
			ep.Add("type", "%q is not an event type: name one crmflow raises (%s) or one of your own posted to /v1/events (lowercase letters, digits and _)",
				m.Type, strings.Join(sortedKeys(KnownEvents), ", "))
		}
		if !condition.Empty(m.Filters) { // {} is no filter, as if omitted
			condition.Validate(ep.At("filters"), m.Filters)
		}
	}
}

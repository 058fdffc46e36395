package triggers

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// EmailEvents are the values of an email_event's "event" field.
var EmailEvents = []string{"opened", "clicked", "bounced", "unsubscribed", "spam"}

// ReplyChannels are the channels a customer_replied event names: Twilio
// raises "sms"; other sources post theirs to POST /v1/events.
var ReplyChannels = []string{"sms", "email", "whatsapp", "chat"}

func init() {
	for _, typ := range []string{"form_submitted", "survey_submitted", "order_submitted",
		"invoice_paid", "payment_received", "subscription_changed"} {
		register(externalEvent{typ: typ})
	}
	// Replies are selected by what was said (event.body: contains, is, ...)
	// and where (event.channel); email events by what happened (event.event).
	register(externalEvent{typ: "customer_replied", enums: map[string][]string{"event.channel": ReplyChannels}})
	register(externalEvent{typ: "email_event", enums: map[string][]string{"event.event": EmailEvents}})
}

// externalEvent is a trigger fired by the event of the same name that comes
// from elsewhere: POST /v1/events or a provider's webhook (Twilio, Stripe).
// Its filters do all the selecting; enums lists fields whose values are a
// closed set, so a filter on a value that can never arrive is caught on save.
type externalEvent struct {
	typ   string
	enums map[string][]string
}

func (x externalEvent) Type() string     { return x.typ }
func (x externalEvent) Events() []string { return []string{x.typ} }

func (x externalEvent) Validate(p *validation.Problems, t *definition.Trigger) {
	if c := bytes.TrimSpace(t.Config); len(c) > 0 && string(c) != "null" && string(c) != "{}" {
		p.Add("config", "this trigger type takes no config; select with filters")
	}
	if t.Filters != nil && len(x.enums) > 0 {
		x.checkValues(p.At("filters"), t.Filters)
	}
}

// checkValues walks the filter tree and flags is/is_not/in/not_in leaves
// comparing a closed-set field with a value outside the set.
func (x externalEvent) checkValues(p *validation.Problems, n *condition.Node) {
	for i, c := range n.All {
		if c != nil {
			x.checkValues(p.At(fmt.Sprintf("all[%d]", i)), c)
		}
	}
	for i, c := range n.Any {
		if c != nil {
			x.checkValues(p.At(fmt.Sprintf("any[%d]", i)), c)
		}
	}
	if n.Not != nil {
		x.checkValues(p.At("not"), n.Not)
	}
	allowed, ok := x.enums[n.Field]
	if !ok {
		return
	}
	var values []any
	switch n.Op {
	case "is", "is_not":
		values = []any{n.Value}
	case "in", "not_in":
		values, _ = n.Value.([]any)
	}
	for _, v := range values {
		s, isString := v.(string)
		if !isString || !slices.Contains(allowed, strings.ToLower(strings.TrimSpace(s))) {
			p.Add("value", "%s is one of %s", n.Field, strings.Join(allowed, ", "))
			return
		}
	}
}

package steps

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { waitModes["event"] = eventMode{} }

// eventMode waits for a reply, a trigger-link click, an email event... (any
// event that reaches a running enrollment), with filters, until an optional
// timeout that leads to on_timeout (or next).
type eventMode struct{}

func (eventMode) fields() []string { return []string{"events", "timeout", "on_timeout"} }

func (eventMode) validate(p *validation.Problems, c *waitConfig) {
	validateMatchers(p, "config.events", c.Events)
	validateTimeout(p, c)
}

func (eventMode) warn(p *validation.Problems, c *waitConfig) {
	if c.Timeout == "" {
		p.Add("config.timeout", "waits forever if no matching event comes: set timeout (and on_timeout)")
	}
}

func (eventMode) targets(c *waitConfig) []Target { return timeoutTargets(c) }

func (eventMode) run(ctx workflow.Context, rt Runtime, s *definition.Step, c *waitConfig) (Outcome, error) {
	until, err := deadline(ctx, rt, s, c.Timeout)
	if err != nil {
		return Outcome{}, err
	}
	types := make([]string, len(c.Events))
	for i, m := range c.Events {
		types[i] = m.Type
	}
	w, err := rt.Wait(ctx, s, WaitSpec{Until: until, Events: c.Events, Reason: "an event: " + strings.Join(types, " or ")})
	if err != nil {
		return Outcome{}, err
	}
	if w.TimedOut {
		return timedOut(s, c), nil
	}
	return Outcome{Next: s.Next, Output: eventOutput(w.Event)}, nil
}

package steps

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { waitModes["condition"] = conditionMode{} }

// conditionMode waits until a condition tree holds. It is checked when the
// wait begins, again whenever an event reaches the run (a contact change, a
// tag, a reply...), and once more at the timeout (Rechecker): now.* changes
// with no event, so a tree that reads it may hold by then.
type conditionMode struct{}

// anyChange wakes the wait on every event, to check the condition again.
var anyChange = []EventMatcher{{Type: AnyEvent}}

func (conditionMode) fields() []string { return []string{"until", "timeout", "on_timeout"} }

func (conditionMode) validate(p *validation.Problems, c *waitConfig) {
	if c.Until == nil {
		p.Add("config.until", "is required: the condition to wait for")
	} else {
		condition.Validate(p.At("config.until"), c.Until)
	}
	validateTimeout(p, c)
}

func (conditionMode) warn(p *validation.Problems, c *waitConfig) {
	if c.Timeout == "" {
		p.Add("config.timeout", "waits forever if the condition never holds: set timeout (and on_timeout)")
	}
	if condition.ReadsNow(c.Until) {
		p.Add("config.until", "reads now.*, which is checked only when an event reaches the run and at the timeout, not as time passes: "+
			"to wait for a time of day use resume_window (or mode \"until\" with a date and time)")
	}
}

func (conditionMode) targets(c *waitConfig) []Target { return timeoutTargets(c) }

func (conditionMode) run(ctx workflow.Context, rt Runtime, s *definition.Step, c *waitConfig) (Outcome, error) {
	until, err := deadline(ctx, rt, s, c.Timeout)
	if err != nil {
		return Outcome{}, err
	}
	checks := 0
	for {
		checks++
		ok, err := rt.Holds(ctx, s, c.Until, nil)
		if err != nil {
			return Outcome{}, err
		}
		if ok {
			return Outcome{Next: s.Next, Output: map[string]any{"timed_out": false, "checks": checks}}, nil
		}
		w, err := rt.Wait(ctx, s, WaitSpec{Until: until, Events: anyChange, Reason: "until the condition holds"})
		if err != nil {
			return Outcome{}, err
		}
		if w.TimedOut {
			if recheckAtDeadline(rt) {
				// The last chance: a tree over now.* may hold by now.
				checks++
				if ok, err := rt.Holds(ctx, s, c.Until, nil); err != nil || ok {
					return Outcome{Next: s.Next, Output: map[string]any{"timed_out": false, "checks": checks}}, err
				}
			}
			out := timedOut(s, c)
			out.Output["checks"] = checks
			return out, nil
		}
	}
}

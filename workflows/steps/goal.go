package steps

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(goal{}) }

type goalConfig struct {
	Events  []EventMatcher `json:"events"`
	IfUnmet string         `json:"if_unmet,omitempty"`
	Timeout string         `json:"timeout,omitempty"`
}

// goal is a point the contact skips ahead to as soon as one of its events
// arrives, wherever it is in the graph (the interpreter watches every
// goal's events, GoalEvents). Reached in sequence without its event having
// come, it does what if_unmet says: end (the default), continue, or wait
// for the event (until the timeout, if any, then end).
type goal struct{}

func (goal) Type() string { return "goal" }

// Waits: with if_unmet wait the goal lets time pass (a loop through it is
// safe); with end or continue it does not.
func (goal) Waits(s *definition.Step) bool {
	var c goalConfig
	return readConfig(s.Config, &c) && c.IfUnmet == "wait"
}

func (goal) GoalEvents(s *definition.Step) []EventMatcher {
	var c goalConfig
	if mustDecode(s.Config, &c) != nil {
		return nil
	}
	return c.Events
}

func (goal) Validate(p *validation.Problems, s *definition.Step) {
	var c goalConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	validateMatchers(p, "config.events", c.Events)
	switch c.IfUnmet {
	case "", "end", "continue":
		if c.Timeout != "" {
			p.Add("config.timeout", "is only read when if_unmet is wait")
		}
	case "wait":
		if c.Timeout != "" {
			validDuration(p, "config.timeout", c.Timeout)
		}
	default:
		p.Add("config.if_unmet", "must be end, continue or wait, not %q", c.IfUnmet)
	}
}

// Warn: with if_unmet wait and no timeout, a contact that reaches the goal
// unmet waits for its event forever.
func (goal) Warn(p *validation.Problems, s *definition.Step) {
	var c goalConfig
	if readConfig(s.Config, &c) && c.IfUnmet == "wait" && c.Timeout == "" {
		p.Add("config.timeout", "waits forever if the goal is never met: set timeout (the contact then exits)")
	}
}

// Conditions are the events' filters, checked for every event that
// reaches the run wherever the contact is (the goal is watched throughout).
func (goal) Conditions(s *definition.Step) []Condition {
	var c goalConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return matcherConditions("config.events", c.Events, true)
}

func (goal) Targets(*definition.Step) []Target { return nil }

func (goal) Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error) {
	var c goalConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	if ev := rt.GoalMet(s); ev != nil {
		return goalReached(s, ev), nil
	}
	switch c.IfUnmet {
	case "continue":
		return Outcome{Next: s.Next, Output: map[string]any{"met": false}, Skipped: true, Reason: "goal not met: continuing"}, nil
	case "wait":
		until, err := deadline(ctx, rt, s, c.Timeout)
		if err != nil {
			return Outcome{}, err
		}
		// The goal's own events end this wait through the interpreter's goal
		// watch (which jumps here, to this very step), like any other wait.
		w, err := rt.Wait(ctx, s, WaitSpec{Until: until, Reason: "until the goal is met"})
		if err != nil {
			return Outcome{}, err
		}
		if w.TimedOut {
			// Skipped like every unmet goal, with its reason: a completed
			// goal step counts as goal_reached in the stats.
			return Outcome{Exit: true, Reason: "goal " + s.ID + " not met before its timeout", Output: map[string]any{"met": false, "timed_out": true}, Skipped: true}, nil
		}
	}
	return Outcome{Exit: true, Reason: "goal " + s.ID + " not met", Output: map[string]any{"met": false}, Skipped: true}, nil
}

func goalReached(s *definition.Step, ev *Event) Outcome {
	return Outcome{Next: s.Next, Output: map[string]any{"met": true, "event_type": ev.Type, "event": ev.Data}}
}

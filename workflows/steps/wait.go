package steps

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(wait{}) }

// waitConfig holds every field of the contract's wait step; the modes other
// than delay are refused on save until the interpreter runs them.
type waitConfig struct {
	Mode         string            `json:"mode"`
	Duration     string            `json:"duration,omitempty"`
	At           string            `json:"at,omitempty"`
	IfPassed     string            `json:"if_passed,omitempty"`
	Goto         string            `json:"goto,omitempty"`
	Offset       string            `json:"offset,omitempty"`
	OnCancel     string            `json:"on_cancel,omitempty"`
	Events       []json.RawMessage `json:"events,omitempty"`
	Until        json.RawMessage   `json:"until,omitempty"`
	Timeout      string            `json:"timeout,omitempty"`
	OnTimeout    string            `json:"on_timeout,omitempty"`
	ResumeWindow json.RawMessage   `json:"resume_window,omitempty"`
}

// maxWait bounds a delay: longer is almost surely a typo (99999d).
const maxWait = 1825 * 24 * time.Hour

// wait pauses the enrollment on a durable Temporal timer: it survives
// restarts of the worker and the server.
type wait struct{ noTargets }

func (wait) Type() string { return "wait" }

// Waits marks this kind as one that lets time pass, which makes a goto loop through it safe.
func (wait) Waits() bool { return true }

func (wait) Validate(p *validation.Problems, s *definition.Step) {
	var c waitConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	switch c.Mode {
	case "delay":
		if !required(p, "config.duration", c.Duration) {
			return
		}
		d, err := durations.Parse(c.Duration)
		if err != nil {
			p.Add("config.duration", "%s", err.Error())
		} else if d <= 0 {
			p.Add("config.duration", "must be longer than zero")
		} else if d > maxWait {
			p.Add("config.duration", "is more than 5 years (1825d); a wait that long is almost surely a typo")
		}
	case "until", "appointment", "event", "condition":
		p.Add("config.mode", "wait mode %q is not available in this version yet (use delay)", c.Mode)
	case "":
		p.Add("config.mode", "is required (delay, until, appointment, event or condition)")
	default:
		p.Add("config.mode", "unknown wait mode %q (delay, until, appointment, event or condition)", c.Mode)
	}
}

func (wait) Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error) {
	var c waitConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	d, err := durations.Parse(c.Duration)
	if err != nil {
		return Outcome{}, err
	}
	if err := rt.Sleep(ctx, s, d); err != nil {
		return Outcome{}, err
	}
	return Outcome{Next: s.Next, Output: map[string]any{"waited": c.Duration}}, nil
}

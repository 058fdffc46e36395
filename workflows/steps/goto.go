package steps

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(gotoStep{}) }

type gotoConfig struct {
	Step string `json:"step"`
}

// gotoStep jumps to another step. Loops through it must contain a wait; the
// graph check refuses one that would spin.
type gotoStep struct{}

func (gotoStep) Type() string { return "goto" }

func (gotoStep) Validate(p *validation.Problems, s *definition.Step) {
	var c gotoConfig
	if decodeConfig(p, s.Config, &c) {
		required(p, "config.step", c.Step)
	}
	if s.Next != "" {
		p.Add("next", "goto leads on through config.step, not next")
	}
}

func (gotoStep) Targets(s *definition.Step) []Target {
	var c gotoConfig
	if !readConfig(s.Config, &c) || c.Step == "" {
		return nil
	}
	return []Target{{Path: "config.step", StepID: c.Step}}
}

func (gotoStep) Run(ctx workflow.Context, _ Runtime, s *definition.Step) (Outcome, error) {
	var c gotoConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	return Outcome{Next: c.Step}, nil
}

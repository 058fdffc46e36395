package steps

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(end{}) }

type endConfig struct {
	Reason string `json:"reason,omitempty"`
}

// end finishes the enrollment here, as completed, with an optional reason.
type end struct{ noTargets }

func (end) Type() string { return "end" }

func (end) Validate(p *validation.Problems, s *definition.Step) {
	var c endConfig
	decodeConfig(p, s.Config, &c)
	if s.Next != "" {
		p.Add("next", "an end step has no next")
	}
}

func (end) Run(ctx workflow.Context, _ Runtime, s *definition.Step) (Outcome, error) {
	var c endConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	return Outcome{Next: "", Reason: c.Reason, Output: map[string]any{"reason": c.Reason}}, nil
}

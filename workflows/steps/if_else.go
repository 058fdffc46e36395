package steps

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(ifElse{}) }

type ifElseConfig struct {
	Branches []ifElseBranch `json:"branches"`
	Else     string         `json:"else,omitempty"`
}

type ifElseBranch struct {
	Name string          `json:"name"`
	When *condition.Node `json:"when"`
	Next string          `json:"next,omitempty"`
}

// ifElse takes the first branch whose condition holds, else the None branch.
type ifElse struct{}

func (ifElse) Type() string { return "if_else" }

func (ifElse) Validate(p *validation.Problems, s *definition.Step) {
	var c ifElseConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	if len(c.Branches) == 0 {
		p.Add("config.branches", "at least one branch is required")
	}
	for i, b := range c.Branches {
		bp := p.At(fmt.Sprintf("config.branches[%d]", i))
		required(bp, "name", b.Name)
		if b.When == nil {
			bp.Add("when", "is required")
		} else {
			condition.Validate(bp.At("when"), b.When)
		}
	}
	if s.Next != "" {
		p.Add("next", "if_else leads on through its branches and else, not next")
	}
}

func (ifElse) Targets(s *definition.Step) []Target {
	var c ifElseConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	var out []Target
	for i, b := range c.Branches {
		if b.Next != "" {
			out = append(out, Target{Path: fmt.Sprintf("config.branches[%d].next", i), StepID: b.Next})
		}
	}
	if c.Else != "" {
		out = append(out, Target{Path: "config.else", StepID: c.Else})
	}
	return out
}

// Conditions are the branches' when trees, read when the step runs.
func (ifElse) Conditions(s *definition.Step) []Condition {
	var c ifElseConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	var out []Condition
	for i, b := range c.Branches {
		if b.When != nil {
			out = append(out, Condition{Path: fmt.Sprintf("config.branches[%d].when", i), Tree: b.When})
		}
	}
	return out
}

func (ifElse) Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error) {
	var c ifElseConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	conds := make([]*condition.Node, len(c.Branches))
	for i, b := range c.Branches {
		conds[i] = b.When
	}
	i, err := rt.FirstMatch(ctx, s, conds)
	if err != nil {
		return Outcome{}, err
	}
	if i < 0 {
		return Outcome{Next: c.Else, Output: map[string]any{"branch": "None"}}, nil
	}
	return Outcome{Next: c.Branches[i].Next, Output: map[string]any{"branch": c.Branches[i].Name}}, nil
}

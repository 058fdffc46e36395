package steps

import (
	"context"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(updateOpportunity{}) }

// updateOpportunity changes the contact's opportunity in pipeline_id: the
// latest created of those still open (a contact may have had several deals
// in one pipeline; the open one is the live one). pipeline_id selects it and
// is not changed; stage_id, name, value and status are set when given (a
// template rendering empty leaves its field alone). A contact with no open
// opportunity there skips the step, with the reason in the log. Stage and
// status changes raise pipeline_stage_changed and opportunity_status_changed.
type updateOpportunity struct{ noTargets }

func (updateOpportunity) Type() string { return "update_opportunity" }
func (updateOpportunity) Remote() bool { return false }

func (updateOpportunity) References(s *definition.Step) []Reference {
	var c opportunityConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return c.references()
}

func (updateOpportunity) Validate(p *validation.Problems, s *definition.Step) {
	var c opportunityConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	c.validate(p)
	if c.StageID == "" && c.Name == "" && c.Value == "" && c.Status == "" {
		p.Add("config", "name at least one of stage_id, name, value or status to change")
	}
}

func (updateOpportunity) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c opportunityConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	fields, err := c.render(call)
	if err != nil {
		return Result{}, err
	}
	o, found, err := env.UpdateOpportunity(ctx, call, fields)
	if err != nil {
		return Result{}, err
	}
	if !found {
		return Result{Skipped: true, Reason: "the contact has no open opportunity in pipeline " + fields.PipelineID}, nil
	}
	return Result{Output: o.Output()}, nil
}

package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(removeOpportunity{}) }

type removeOpportunityConfig struct {
	PipelineID string `json:"pipeline_id,omitempty"`
}

// removeOpportunity deletes the contact's opportunities in pipeline_id,
// whatever their status, or in every pipeline when pipeline_id is left
// out. Having none there is not a fault: the output lists what was removed.
type removeOpportunity struct{ noTargets }

func (removeOpportunity) Type() string { return "remove_opportunity" }
func (removeOpportunity) Remote() bool { return false }

func (removeOpportunity) References(s *definition.Step) []Reference {
	var c removeOpportunityConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return literalRef(nil, "config.pipeline_id", RefPipeline, c.PipelineID)
}

func (removeOpportunity) Validate(p *validation.Problems, s *definition.Step) {
	var c removeOpportunityConfig
	if decodeConfig(p, s.Config, &c) {
		checkTemplate(p, "config.pipeline_id", c.PipelineID)
	}
}

func (removeOpportunity) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c removeOpportunityConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	pipeline, err := call.Render(c.PipelineID)
	if err != nil {
		return Result{}, fmt.Errorf("config.pipeline_id: %w", err)
	}
	if c.PipelineID != "" && strings.TrimSpace(pipeline) == "" {
		// A template that named no pipeline must not widen to every pipeline.
		return Result{Skipped: true, Reason: "config.pipeline_id rendered empty: no opportunity was removed"}, nil
	}
	removed, err := env.RemoveOpportunities(ctx, call, strings.TrimSpace(pipeline))
	if err != nil {
		return Result{}, err
	}
	if removed == nil {
		removed = []string{}
	}
	return Result{Output: map[string]any{"removed": removed, "count": len(removed)}}, nil
}

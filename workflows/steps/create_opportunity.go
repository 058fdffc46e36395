package steps

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(createOpportunity{}) }

// opportunityConfig is the config of create_opportunity and
// update_opportunity. Every field may be a template; a value or status
// written out plainly is checked on save, a templated one when it runs.
type opportunityConfig struct {
	PipelineID string `json:"pipeline_id"`
	StageID    string `json:"stage_id,omitempty"`
	Name       string `json:"name,omitempty"`
	Value      string `json:"value,omitempty"` // decimal string in major units, like the API's
	Status     string `json:"status,omitempty"`
}

var opportunityStatuses = []string{models.OpportunityOpen, models.OpportunityWon, models.OpportunityLost, models.OpportunityAbandoned}

// decimalValue is what the records service accepts as a value.
var decimalValue = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,4})?$`)

func (c *opportunityConfig) validate(p *validation.Problems) {
	if required(p, "config.pipeline_id", c.PipelineID) {
		checkTemplate(p, "config.pipeline_id", c.PipelineID)
	}
	checkTemplate(p, "config.stage_id", c.StageID)
	checkTemplate(p, "config.name", c.Name)
	if template.IsTemplate(c.Value) {
		checkTemplate(p, "config.value", c.Value)
	} else if c.Value != "" && !decimalValue.MatchString(strings.TrimSpace(c.Value)) {
		p.Add("config.value", "must be a decimal string in major units, e.g. \"1500.00\" (not negative, at most 4 decimals)")
	}
	if template.IsTemplate(c.Status) {
		checkTemplate(p, "config.status", c.Status)
	} else if c.Status != "" && !slices.Contains(opportunityStatuses, c.Status) {
		p.Add("config.status", "must be one of %s", strings.Join(opportunityStatuses, ", "))
	}
}

// references names the pipeline and the stage, which must be one of that
// pipeline's when the pipeline is written out.
func (c *opportunityConfig) references() []Reference {
	refs := literalRef(nil, "config.pipeline_id", RefPipeline, c.PipelineID)
	n := len(refs)
	if refs = literalRef(refs, "config.stage_id", RefStage, c.StageID); len(refs) > n && n > 0 {
		refs[n].Pipeline = refs[0].ID
	}
	return refs
}

// render renders every field; an empty result leaves the field as it is.
func (c *opportunityConfig) render(call *Call) (OpportunityFields, error) {
	var o OpportunityFields
	for _, f := range []struct {
		path, tmpl string
		dst        *string
	}{
		{"config.pipeline_id", c.PipelineID, &o.PipelineID}, {"config.stage_id", c.StageID, &o.StageID},
		{"config.name", c.Name, &o.Name}, {"config.value", c.Value, &o.Value}, {"config.status", c.Status, &o.Status},
	} {
		v, err := call.Render(f.tmpl)
		if err != nil {
			return o, fmt.Errorf("%s: %w", f.path, err)
		}
		*f.dst = strings.TrimSpace(v)
	}
	return o, nil
}

// createOpportunity opens an opportunity for the contact in a pipeline
// (its first stage unless stage_id says; named after the contact unless
// name says); opportunity_created fires like for one made through the API.
type createOpportunity struct{ noTargets }

func (createOpportunity) Type() string { return "create_opportunity" }
func (createOpportunity) Remote() bool { return false }

func (createOpportunity) References(s *definition.Step) []Reference {
	var c opportunityConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	return c.references()
}

func (createOpportunity) Validate(p *validation.Problems, s *definition.Step) {
	var c opportunityConfig
	if decodeConfig(p, s.Config, &c) {
		c.validate(p)
	}
}

func (createOpportunity) Execute(ctx context.Context, env Env, call *Call) (Result, error) {
	var c opportunityConfig
	if err := mustDecode(call.Step.Config, &c); err != nil {
		return Result{}, err
	}
	fields, err := c.render(call)
	if err != nil {
		return Result{}, err
	}
	o, err := env.CreateOpportunity(ctx, call, fields)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: o.Output()}, nil
}

package definitions

import (
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// stepRef is a record a step names, with its path in the definition.
type stepRef struct {
	steps.Reference
	path string // steps[i].<Reference.Path>
}

// checkStepReferences refuses, on publish, steps that name users,
// pipelines, stages or workflows that are not the account's (one of
// another account is none), at steps[i].<path>: every step kind lists what
// it names (steps.Referrer), and each kind of record is looked up in one
// query. A stage must be one of the pipeline the step names with it, or,
// when the pipeline is a template, a stage of the account. A workflow may
// be a draft: two workflows that add each other can only be published one
// after the other. Templated ids are checked when the step runs.
func checkStepReferences(tx *gorm.DB, accountID, workflowID string, def *definition.Definition) (validation.Errors, error) {
	byKind := map[string][]stepRef{}
	var all []stepRef
	for i := range def.Steps {
		for _, r := range steps.References(&def.Steps[i]) {
			u := stepRef{r, fmt.Sprintf("steps[%d].%s", i, r.Path)}
			byKind[r.Kind] = append(byKind[r.Kind], u)
			all = append(all, u)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	found := map[string][]string{}
	for kind, model := range map[string]any{steps.RefUser: &models.User{}, steps.RefPipeline: &models.Pipeline{}, steps.RefWorkflow: &models.Workflow{}} {
		if len(byKind[kind]) == 0 {
			continue
		}
		ids, err := existingIDs(tx, model, accountID, byKind[kind], func(u stepRef) string { return u.ID })
		if err != nil {
			return nil, fmt.Errorf("checking %s references: %w", kind, err)
		}
		found[kind] = ids
	}
	stagePipeline := map[string]string{}
	if refs := byKind[steps.RefStage]; len(refs) > 0 {
		ids := make([]string, 0, len(refs))
		for _, u := range refs {
			ids = append(ids, u.ID)
		}
		var rows []models.PipelineStage
		if err := tx.Select("id", "pipeline_id").Where("account_id = ? AND id IN ?", accountID, ids).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("checking stage references: %w", err)
		}
		for _, st := range rows {
			stagePipeline[st.ID] = st.PipelineID
		}
	}
	var errs validation.Errors
	fault := func(u stepRef, format string, args ...any) {
		errs = append(errs, validation.FieldError{Path: u.path, Message: fmt.Sprintf(format, args...)})
	}
	for _, u := range all {
		switch {
		case u.Kind == steps.RefWorkflow && u.SelfFault != "" && u.ID == workflowID:
			fault(u, "%s", u.SelfFault)
		case u.Kind == steps.RefStage:
			pipeline, ok := stagePipeline[u.ID]
			switch {
			case !ok:
				fault(u, "stage %q does not exist", u.ID)
			case u.Pipeline != "" && pipeline != u.Pipeline:
				fault(u, "stage %q is not a stage of pipeline %q", u.ID, u.Pipeline)
			}
		case !slices.Contains(found[u.Kind], u.ID):
			fault(u, "%s %q does not exist", u.Kind, u.ID)
		}
	}
	return errs, nil
}

package definitions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

// checkWorkflowReferences refuses, on publish, add_to_workflow and
// remove_from_workflow steps whose workflow_id names no workflow of the
// account (one of another account is none), at steps[i].config.workflow_id.
// Drafts pass: two workflows that add each other can only be published one
// after the other. Templated ids are checked when the step runs.
//
// An add_to_workflow to the workflow itself is refused too: the contact is
// in the workflow while the step runs, and an enrollment still running
// keeps the same contact from entering again whatever the re-entry setting,
// so the step could only ever be skipped. A goto step loops instead.
func checkWorkflowReferences(tx *gorm.DB, accountID, workflowID string, def *definition.Definition) error {
	type use struct{ path, id, typ string }
	var uses []use
	for i, s := range def.Steps {
		if s.Type != "add_to_workflow" && s.Type != "remove_from_workflow" {
			continue
		}
		var cfg struct {
			WorkflowID string `json:"workflow_id"`
		}
		if json.Unmarshal(s.Config, &cfg) != nil {
			continue // validation already named the fault
		}
		id := strings.TrimSpace(cfg.WorkflowID)
		if id == "" || template.IsTemplate(id) {
			continue
		}
		uses = append(uses, use{fmt.Sprintf("steps[%d].config.workflow_id", i), id, s.Type})
	}
	if len(uses) == 0 {
		return nil
	}
	found, err := existingIDs(tx, &models.Workflow{}, accountID, uses, func(u use) string { return u.id })
	if err != nil {
		return fmt.Errorf("checking workflow references: %w", err)
	}
	var errs validation.Errors
	for _, u := range uses {
		switch {
		case u.typ == "add_to_workflow" && u.id == workflowID:
			errs = append(errs, validation.FieldError{Path: u.path, Message: "a workflow cannot add its contact to itself: " +
				"the contact is still in it when the step runs, so it would always be skipped; use a goto step to loop"})
		case !slices.Contains(found, u.id):
			errs = append(errs, validation.FieldError{Path: u.path, Message: fmt.Sprintf("workflow %q does not exist", u.id)})
		}
	}
	if errs != nil {
		return errs
	}
	return nil
}

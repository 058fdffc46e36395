package definitions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// Live is the live version of a published workflow, as UsedBy shows it to
// its matcher.
type Live struct {
	WorkflowID string
	Name       string
	Definition []byte // as stored
}

// InUseError refuses to delete (or remove) a record that published
// workflows use: their runs would fail, or send what no longer exists.
type InUseError struct {
	What      string // what cannot go, e.g. `the user "Ann"`
	Path      string // the input at fault, when one is (a pipeline's stages); else ""
	Workflows []string
}

func (e *InUseError) Error() string {
	return e.What + " is used by the published workflows " + strings.Join(e.Workflows, ", ") +
		"; remove it from them and publish them (or draft them) first"
}

// UsedBy names (quoted, by name) the published workflows of the account
// whose live version match accepts. Drafts and other accounts' workflows
// never count; enrollments still running on an older version meet a
// missing record when their step runs, as they always did.
func UsedBy(tx *gorm.DB, accountID string, match func(*Live) bool) ([]string, error) {
	var rows []Live
	err := tx.Table("workflows").Select("workflows.id AS workflow_id, workflows.name, workflow_versions.definition").
		Joins("JOIN workflow_versions ON workflow_versions.workflow_id = workflows.id AND workflow_versions.version = workflows.version").
		Where("workflows.account_id = ? AND workflows.status = ?", accountID, models.WorkflowPublished).
		Order("workflows.name, workflows.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("finding the published workflows that use it: %w", err)
	}
	var names []string
	for i := range rows {
		if match(&rows[i]) {
			names = append(names, fmt.Sprintf("%q", rows[i].Name))
		}
	}
	return names, nil
}

// RefuseInUse returns an *InUseError naming the published workflows whose
// live version match accepts, or nil when there is none. what and path
// fill the error (see InUseError).
func RefuseInUse(tx *gorm.DB, accountID, what, path string, match func(*Live) bool) error {
	names, err := UsedBy(tx, accountID, match)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return &InUseError{What: what, Path: path, Workflows: names}
	}
	return nil
}

// Naming matches the live versions with a step that names a record of that
// kind (steps.RefUser, ...) with one of the ids, as publish checks them
// (steps.Referrer). A stage counts for its own id only.
func Naming(kind string, ids ...string) func(*Live) bool {
	return func(l *Live) bool {
		var def definition.Definition
		if json.Unmarshal(l.Definition, &def) != nil {
			return false
		}
		for i := range def.Steps {
			for _, r := range steps.References(&def.Steps[i]) {
				if r.Kind == kind && slices.Contains(ids, r.ID) {
					return true
				}
			}
		}
		return false
	}
}

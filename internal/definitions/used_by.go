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
	What      string   // what cannot go, e.g. `the user "Ann"`
	Path      string   // the input at fault, when one is (a pipeline's stages); else ""
	Workflows []string // their names, quoted
	IDs       []string // their ids, in the same order (names need not be unique)
}

// named lists the workflows as `"Name" (id)`.
func (e *InUseError) named() []string {
	out := make([]string, len(e.Workflows))
	for i, n := range e.Workflows {
		out[i] = n
		if i < len(e.IDs) {
			out[i] += " (" + e.IDs[i] + ")"
		}
	}
	return out
}

func (e *InUseError) Error() string {
	named := e.named()
	if len(named) == 1 {
		return e.What + " is used by the published workflow " + named[0] +
			"; remove it from it and publish it (or draft it) first"
	}
	return e.What + " is used by the published workflows " + strings.Join(named, ", ") +
		"; remove it from them and publish them (or draft them) first"
}

// UsedBy names (quoted, by name) the published workflows of the account
// whose live version match accepts. Drafts and other accounts' workflows
// never count; enrollments still running on an older version meet a
// missing record when their step runs, as they always did.
func UsedBy(tx *gorm.DB, accountID string, match func(*Live) bool) ([]string, error) {
	used, err := usedBy(tx, accountID, match)
	names := make([]string, len(used))
	for i := range used {
		names[i] = fmt.Sprintf("%q", used[i].Name)
	}
	return names, err
}

// usedBy returns the published workflows whose live version match accepts.
func usedBy(tx *gorm.DB, accountID string, match func(*Live) bool) ([]Live, error) {
	var rows []Live
	err := tx.Table("workflows").Select("workflows.id AS workflow_id, workflows.name, workflow_versions.definition").
		Joins("JOIN workflow_versions ON workflow_versions.workflow_id = workflows.id AND workflow_versions.version = workflows.version").
		Where("workflows.account_id = ? AND workflows.status = ?", accountID, models.WorkflowPublished).
		Order("workflows.name, workflows.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("finding the published workflows that use it: %w", err)
	}
	var used []Live
	for i := range rows {
		if match(&rows[i]) {
			used = append(used, rows[i])
		}
	}
	return used, nil
}

// RefuseInUse returns an *InUseError naming the published workflows whose
// live version match accepts, or nil when there is none. what and path
// fill the error (see InUseError).
func RefuseInUse(tx *gorm.DB, accountID, what, path string, match func(*Live) bool) error {
	used, err := usedBy(tx, accountID, match)
	if err != nil {
		return err
	}
	if len(used) > 0 {
		e := &InUseError{What: what, Path: path}
		for _, w := range used {
			e.Workflows = append(e.Workflows, fmt.Sprintf("%q", w.Name))
			e.IDs = append(e.IDs, w.WorkflowID)
		}
		return e
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

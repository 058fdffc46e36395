package definitions

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// linkRef finds {{trigger_link.<id>}} (and trigger_link["<id>"]) in templates.
var linkRef = regexp.MustCompile(`trigger_link(?:\.|\[\\?")([A-Za-z0-9_-]+)`)

// checkReferences refuses, on publish, a definition that names records of
// the account that do not exist (today: trigger links in templates and in
// trigger_link_clicked triggers), naming where each is used: such a send
// would go out with an empty link.
func checkReferences(tx *gorm.DB, accountID string, def *definition.Definition) (validation.Errors, error) {
	type use struct{ path, id string }
	var uses []use
	for i, s := range def.Steps {
		for _, m := range linkRef.FindAllStringSubmatch(string(s.Config), -1) {
			uses = append(uses, use{fmt.Sprintf("steps[%d].config", i), m[1]})
		}
	}
	for i, t := range def.Triggers {
		var cfg struct {
			LinkIDs []string `json:"link_ids"`
		}
		if t.Type == "trigger_link_clicked" && json.Unmarshal(t.Config, &cfg) == nil {
			for j, id := range cfg.LinkIDs {
				uses = append(uses, use{fmt.Sprintf("triggers[%d].config.link_ids[%d]", i, j), id})
			}
		}
	}
	if len(uses) == 0 {
		return nil, nil
	}
	found, err := existingIDs(tx, &models.TriggerLink{}, accountID, uses, func(u use) string { return u.id })
	if err != nil {
		return nil, fmt.Errorf("checking trigger links: %w", err)
	}
	var errs validation.Errors
	for _, u := range uses {
		if !slices.Contains(found, u.id) {
			errs = append(errs, validation.FieldError{Path: u.path, Message: fmt.Sprintf("trigger link %q does not exist", u.id)})
		}
	}
	return errs, nil
}

// existingIDs returns which of the ids the uses name are rows of model in
// the account (a row of another account counts as none).
func existingIDs[U any](tx *gorm.DB, model any, accountID string, uses []U, id func(U) string) ([]string, error) {
	ids := make([]string, 0, len(uses))
	for _, u := range uses {
		ids = append(ids, id(u))
	}
	var found []string
	err := tx.Model(model).Where("account_id = ? AND id IN ?", accountID, ids).Pluck("id", &found).Error
	return found, err
}

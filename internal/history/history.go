// Package history answers what happened in workflows: a workflow's execution
// log, a contact's timeline across workflows, and a workflow's statistics.
// Everything here reads the tables the activities write (step_executions,
// enrollments, messages, events); counting is done by the database (GROUP BY
// on indexed columns) so that large logs never travel into Go. It also
// prunes old logs when the operator sets a retention (CRMFLOW_LOG_RETENTION).
package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// Errors the API answers with 404.
var (
	ErrWorkflowNotFound = errors.New("workflow not found")
	ErrContactNotFound  = errors.New("contact not found")
)

// Service reads the execution history of one database.
type Service struct {
	DB *gorm.DB
}

// workflow loads the account's workflow; another account's answers
// ErrWorkflowNotFound like a missing one.
func (s *Service) workflow(ctx context.Context, accountID, workflowID string) (*models.Workflow, error) {
	var wf models.Workflow
	err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, workflowID).Limit(1).Find(&wf).Error
	if err != nil {
		return nil, fmt.Errorf("loading workflow %s: %w", workflowID, err)
	}
	if wf.ID == "" {
		return nil, ErrWorkflowNotFound
	}
	return &wf, nil
}

// stepRef is what the statistics need of a definition's step.
type stepRef struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config"`
}

// definitionSteps reads the steps of a definition's JSON; a definition that
// does not parse has none (statistics then show only what the log holds).
func definitionSteps(raw []byte) []stepRef {
	var def struct {
		Steps []stepRef `json:"steps"`
	}
	if json.Unmarshal(raw, &def) != nil {
		return nil
	}
	return def.Steps
}

// displayNames maps contact ids to how people see them; deleted contacts
// are missing from the map.
func (s *Service) displayNames(ctx context.Context, accountID string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.Contact
	if err := s.DB.WithContext(ctx).Where("account_id = ? AND id IN ?", accountID, unique(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("loading contact names: %w", err)
	}
	for i := range rows {
		out[rows[i].ID] = rows[i].DisplayName()
	}
	return out, nil
}

// workflowNames maps workflow ids to their names.
func (s *Service) workflowNames(ctx context.Context, accountID string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.Workflow
	if err := s.DB.WithContext(ctx).Select("id", "name").Where("account_id = ? AND id IN ?", accountID, unique(ids)).
		Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("loading workflow names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func unique(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

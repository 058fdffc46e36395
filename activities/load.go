package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/activity"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
)

// LoadRun returns the pinned version's definition and marks the enrollment
// running under this Temporal run. Versions are immutable, so they are cached.
func (a *Activities) LoadRun(ctx context.Context, in workflows.LoadRunInput) (workflows.LoadRunResult, error) {
	info := activity.GetInfo(ctx)
	// One write: the run's ids, and active unless something already moved it on.
	err := a.opts.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("id = ?", in.Run.EnrollmentID).
		Updates(map[string]any{
			"temporal_workflow_id": info.WorkflowExecution.ID,
			"temporal_run_id":      info.WorkflowExecution.RunID,
			"status":               gorm.Expr("CASE WHEN status = ? THEN ? ELSE status END", models.EnrollmentPending, models.EnrollmentActive),
		}).Error
	if err != nil {
		return workflows.LoadRunResult{}, fmt.Errorf("recording run of enrollment %s: %w", in.Run.EnrollmentID, err)
	}
	if in.Run.Test && in.Run.Version == 0 {
		return workflows.LoadRunResult{}, nil // a test of a never-published draft carries its definition
	}
	def, err := a.version(ctx, in.Run.WorkflowID, in.Run.Version)
	if err != nil {
		return workflows.LoadRunResult{}, err
	}
	return workflows.LoadRunResult{Definition: *def}, nil
}

func (a *Activities) version(ctx context.Context, workflowID string, version int) (*definition.Definition, error) {
	key := workflowID + "/" + strconv.Itoa(version)
	if d, ok := a.versions.Load(key); ok {
		return d.(*definition.Definition), nil
	}
	var v models.WorkflowVersion
	if err := a.opts.DB.WithContext(ctx).Where("workflow_id = ? AND version = ?", workflowID, version).First(&v).Error; err != nil {
		return nil, fmt.Errorf("loading version %d of workflow %s: %w", version, workflowID, err)
	}
	var def definition.Definition
	if err := json.Unmarshal(v.Definition, &def); err != nil {
		return nil, fmt.Errorf("reading version %d of workflow %s: %w", version, workflowID, err)
	}
	a.versions.Store(key, &def)
	return &def, nil
}

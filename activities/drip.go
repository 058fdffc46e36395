package activities

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/workflows"
)

// JoinDrip queues an enrollment with its drip step's coordinator,
// starting the coordinator if none runs: signal-with-start, so concurrent
// joins share one coordinator, and a join never lands in a gap between a
// coordinator that completed and the next one. A retried join is harmless:
// the coordinator deduplicates by key.
func (a *Activities) JoinDrip(ctx context.Context, in workflows.JoinDripInput) error {
	if a.opts.Temporal == nil {
		return temporal.NewNonRetryableApplicationError("drip steps need a Temporal client (activities.Options.Temporal)", "DripNotConfigured", nil)
	}
	id := workflows.DripCoordinatorID(in.WorkflowID, in.StepID)
	_, err := a.opts.Temporal.SignalWithStartWorkflow(ctx, id, workflows.SignalDripJoin, in.Join, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// Support staff find a workflow's coordinators next to its enrollments.
		TypedSearchAttributes: temporal.NewSearchAttributes(enrollment.AttrAccountID.ValueSet(in.AccountID),
			enrollment.AttrWorkflowID.ValueSet(in.WorkflowID)),
		Memo: map[string]any{"drip_step": in.StepID},
	}, workflows.DripWorkflow, workflows.DripState{AccountID: in.AccountID, WorkflowID: in.WorkflowID, StepID: in.StepID,
		Config: in.Join.Config})
	return err
}

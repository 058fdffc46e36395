package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// Names of the drip coordinator workflow, its join signal and the activity
// that joins it (signal-with-start: the first contact starts it).
const (
	DripWorkflow     = "crmflow.Drip"
	SignalDripJoin   = "crmflow.drip-join"
	ActivityJoinDrip = "crmflow.JoinDrip"
)

// DripCoordinatorID is the one coordinator of a drip step: per workflow and
// step, not per version, so republishing keeps the queue and its pace.
func DripCoordinatorID(workflowID, stepID string) string {
	return "drip/" + workflowID + "/" + stepID
}

// DripMember is one enrollment queued at a drip step.
type DripMember struct {
	// RunWorkflowID is the enrollment's Temporal workflow id (signalled
	// without a run id, so it reaches the run after a continue-as-new).
	RunWorkflowID string
	EnrollmentID  string
	// Key is what the release signal carries (SignalRelease).
	Key string
}

// DripJoin is the payload of SignalDripJoin.
type DripJoin struct {
	Member DripMember
	Config steps.DripRequest
}

// JoinDripInput asks the activity to signal-with-start the coordinator.
type JoinDripInput struct {
	AccountID  string
	WorkflowID string
	StepID     string
	Join       DripJoin
}

// JoinDrip is steps.Runtime.JoinDrip: it queues this visit of s with the
// step's coordinator once (a re-entered visit is queued already), with the
// workflow's time window and zone, which the coordinator honours.
func (rt *runtime) JoinDrip(ctx workflow.Context, s *definition.Step, req steps.DripRequest) (string, error) {
	r := rt.r
	ws := r.beginWait(ctx, s)
	key := fmt.Sprintf("%s/%s/%d", r.in.EnrollmentID, s.ID, ws.Visit)
	if ws.Joined {
		return key, nil
	}
	if w := r.def.Settings.TimeWindow; w != nil && req.TimeWindow == nil {
		res, err := rt.Resolve(ctx, s, steps.ResolveRequest{Zone: true})
		if err != nil {
			return "", err
		}
		req.TimeWindow, req.Zone = w, res.Zone
	}
	in := JoinDripInput{AccountID: r.in.AccountID, WorkflowID: r.in.WorkflowID, StepID: s.ID, Join: DripJoin{
		Member: DripMember{RunWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, EnrollmentID: r.in.EnrollmentID, Key: key},
		Config: req,
	}}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	if err := workflow.ExecuteActivity(actx, ActivityJoinDrip, in).Get(ctx, nil); err != nil {
		return "", err
	}
	ws.Joined = true
	return key, nil
}

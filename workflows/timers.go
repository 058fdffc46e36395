package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
)

// Sleep waits on a durable timer. The step is logged as waiting first (with
// when it ends), so the API shows where the contact is and until when.
func (rt *runtime) Sleep(ctx workflow.Context, s *definition.Step, d time.Duration) error {
	until := workflow.Now(ctx).Add(d)
	if err := rt.r.record(ctx, s, RecordStepInput{Status: models.StepWaiting, Until: &until}); err != nil {
		return err
	}
	return workflow.NewTimer(ctx, d).Get(ctx, nil)
}

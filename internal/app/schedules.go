package app

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/schedules"
	"github.com/crmflow/crmflow/workflows"
)

// newSchedules is what keeps scheduled triggers' Temporal Schedules in step
// with publishing (definitions.Service.Schedules).
func (a *App) newSchedules(tc client.Client) *schedules.Service {
	return &schedules.Service{Temporal: tc, Log: a.Log}
}

// registerScheduled registers the workflow the schedules start and its
// activity, which enrolls through the enrollment service.
func (a *App) registerScheduled(w worker.Worker) {
	w.RegisterWorkflowWithOptions(workflows.ScheduleFired, workflow.RegisterOptions{Name: workflows.ScheduleFiredWorkflow})
	(&activities.Scheduled{DB: a.DB, Enrollments: a.Enrollments, Log: a.Log}).Register(w)
}

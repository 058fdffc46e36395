package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
)

// WorkflowEnroller is what add_to_workflow and remove_from_workflow need of
// the enrollment service (internal/enrollment.Service).
type WorkflowEnroller interface {
	Enroller
	ExitWorkflow(ctx context.Context, accountID, workflowID, contactID, reason string) (int, error)
}

// AddToWorkflow enrolls the contact through the enrollment service, so the
// target's re-entry setting and the one-entry-at-a-time rule hold as for a
// trigger. The new enrollment's id is chosen once and noted in the step
// ledger first: a retry finds the enrollment its first attempt made instead
// of enrolling again (with re-entry on, a finished nested run would let it).
func (a *Activities) AddToWorkflow(ctx context.Context, call *steps.Call, workflowID string) (steps.Enrolled, error) {
	if a.opts.Workflows == nil {
		return steps.Enrolled{}, permanent("add_to_workflow is not available: the worker has no enrollment service")
	}
	id, err := a.remember(ctx, call, "enrollment_added", models.NewID())
	if err != nil {
		return steps.Enrolled{}, err
	}
	var made models.Enrollment
	if err := a.opts.DB.WithContext(ctx).Where("account_id = ? AND id = ?", call.AccountID, id).Limit(1).Find(&made).Error; err != nil {
		return steps.Enrolled{}, fmt.Errorf("looking for the enrollment of an earlier attempt: %w", err)
	}
	if made.ID != "" {
		return enrolled(&made, true), nil
	}
	chain := append(append([]string(nil), call.Chain...), call.WorkflowID)
	e, created, err := a.opts.Workflows.Enroll(ctx, enrollment.Request{
		AccountID: call.AccountID, WorkflowID: workflowID, ContactID: call.ContactID, ID: id, Chain: chain,
	})
	switch {
	case errors.Is(err, enrollment.ErrWorkflowNotFound):
		// Also a workflow of another account: never told apart from none.
		return steps.Enrolled{}, permanent("workflow %q does not exist", workflowID)
	case errors.Is(err, enrollment.ErrNotPublished):
		names, nerr := a.WorkflowNames(ctx, call, []string{workflowID})
		if nerr != nil {
			return steps.Enrolled{}, nerr
		}
		return steps.Enrolled{}, permanent("workflow %q (%s) is a draft: publish it before adding contacts to it", names[workflowID], workflowID)
	case errors.Is(err, enrollment.ErrContactNotFound):
		return steps.Enrolled{}, permanent("the contact no longer exists")
	case err != nil && created:
		// The enrollment is recorded (with its chain); only its start
		// failed, and the sweeper starts it later.
		a.opts.Log.WarnContext(ctx, "starting a nested enrollment failed; the sweeper will start it",
			"enrollment_id", e.ID, "error", err)
	case err != nil:
		return steps.Enrolled{}, fmt.Errorf("enrolling the contact into workflow %s: %w", workflowID, err)
	}
	return enrolled(e, created), nil
}

func enrolled(e *models.Enrollment, created bool) steps.Enrolled {
	finished := false
	switch e.Status {
	case models.EnrollmentCompleted, models.EnrollmentExited, models.EnrollmentFailed:
		finished = true
	}
	return steps.Enrolled{EnrollmentID: e.ID, Created: created, Status: e.Status, Finished: finished}
}

// RemoveFromWorkflow ends the contact's running enrollments in another
// workflow. How many it ended is noted in the step ledger afterwards, so a
// retry (which finds nothing left running) reports the first attempt's count.
func (a *Activities) RemoveFromWorkflow(ctx context.Context, call *steps.Call, workflowID, reason string) (int, error) {
	if a.opts.Workflows == nil {
		return 0, permanent("remove_from_workflow is not available: the worker has no enrollment service")
	}
	const kind = "removed_from_workflow"
	if done, err := a.effectOf(ctx, call, kind); err != nil || done != "" {
		n, _ := strconv.Atoi(done)
		return n, err
	}
	n, err := a.opts.Workflows.ExitWorkflow(ctx, call.AccountID, workflowID, call.ContactID, reason)
	if err != nil {
		return 0, fmt.Errorf("removing the contact from workflow %s: %w", workflowID, err)
	}
	done, err := a.remember(ctx, call, kind, strconv.Itoa(n))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(done)
}

// WorkflowNames reads the names of the account's workflows among ids.
func (a *Activities) WorkflowNames(ctx context.Context, call *steps.Call, ids []string) (map[string]string, error) {
	var rows []models.Workflow
	if err := a.opts.DB.WithContext(ctx).Select("id", "name").Where("account_id = ? AND id IN ?", call.AccountID, ids).
		Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading workflow names: %w", err)
	}
	names := make(map[string]string, len(rows))
	for _, w := range rows {
		names[w.ID] = w.Name
	}
	return names, nil
}

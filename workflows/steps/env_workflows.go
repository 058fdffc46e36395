package steps

import "context"

// WorkflowsEnv puts the enrolled contact into other workflows of the account
// and takes it out of them (add_to_workflow, remove_from_workflow), through
// the enrollment service, so its re-entry rules hold as for any trigger.
// Workflows of another account behave exactly like ids that name nothing.
type WorkflowsEnv interface {
	// AddToWorkflow enrolls the contact into workflowID, carrying the chain
	// that led here (call.Chain and call.WorkflowID) onto the new
	// enrollment. An existing enrollment that the re-entry setting keeps
	// comes back with Created false. A retry of the call finds the
	// enrollment its first attempt made. An unknown or draft workflow fails
	// for good.
	AddToWorkflow(ctx context.Context, call *Call, workflowID string) (Enrolled, error)
	// RemoveFromWorkflow ends the contact's running enrollments in
	// workflowID as exited with reason and says how many there were; a
	// retry reports what the first attempt ended.
	RemoveFromWorkflow(ctx context.Context, call *Call, workflowID, reason string) (removed int, err error)
	// WorkflowNames returns the names of the account's workflows among ids;
	// an id of no workflow of the account is left out.
	WorkflowNames(ctx context.Context, call *Call, ids []string) (map[string]string, error)
}

// Enrolled is the enrollment an add_to_workflow step made or found.
type Enrolled struct {
	EnrollmentID string
	Created      bool
	// Status is the enrollment's; Finished says it has ended (completed,
	// exited or failed).
	Status   string
	Finished bool
}

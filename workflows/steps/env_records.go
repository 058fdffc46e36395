package steps

import (
	"context"
	"time"
)

// RecordsEnv changes contacts and the CRM records about them (assignment,
// do-not-disturb, notes, tasks, opportunities) through the same services as
// the API, so every change raises the events the API's would. Each method
// is idempotent per call.IdempotencyKey: a retried activity changes or
// creates nothing twice.
type RecordsEnv interface {
	// CreateContact creates a contact from fields, or updates the one with
	// the same email (else phone); it reports which.
	CreateContact(ctx context.Context, call *Call, fields map[string]string) (id string, created bool, err error)
	// DeleteContact deletes the enrolled contact after ending its other
	// running enrollments.
	DeleteContact(ctx context.Context, call *Call) error
	// AssignUser assigns the contact to one of userIDs (mode round_robin or
	// first) and returns the user chosen and the one before ("" when none).
	AssignUser(ctx context.Context, call *Call, userIDs []string, mode string) (userID, previous string, err error)
	// UnassignUser clears the contact's user and returns the one before.
	UnassignUser(ctx context.Context, call *Call) (previous string, err error)
	// SetDND sets do-not-disturb on channel (sms, email or all) and returns
	// the channels whose flag changed.
	SetDND(ctx context.Context, call *Call, channel string, value bool) (changed []string, err error)
	AddNote(ctx context.Context, call *Call, body string) (noteID string, err error)
	AddTask(ctx context.Context, call *Call, t NewTask) (Task, error)
	CreateOpportunity(ctx context.Context, call *Call, o OpportunityFields) (Opportunity, error)
	// UpdateOpportunity changes the contact's latest open opportunity in
	// o.PipelineID; found is false when the contact has none.
	UpdateOpportunity(ctx context.Context, call *Call, o OpportunityFields) (opp Opportunity, found bool, err error)
	// RemoveOpportunities deletes the contact's opportunities in pipelineID
	// (in every pipeline when "") and returns their ids.
	RemoveOpportunities(ctx context.Context, call *Call, pipelineID string) (removed []string, err error)
}

// NewTask is a task for the enrolled contact.
type NewTask struct {
	Title, Body, AssigneeID string
	DueIn                   time.Duration // 0: no due date
}

// Task is a task once stored.
type Task struct {
	ID    string
	DueAt *time.Time
}

// OpportunityFields are an opportunity step's rendered config; "" leaves a
// field as it is (on create: the pipeline's first stage, the contact's
// name, value 0, status open).
type OpportunityFields struct {
	PipelineID, StageID, Name, Value, Status string
}

// Opportunity is an opportunity as a step reports it.
type Opportunity struct {
	ID, PipelineID, StageID, Name, Value, Status string
}

// Output is the opportunity as steps.<id>.* reads it.
func (o Opportunity) Output() map[string]any {
	return map[string]any{"opportunity_id": o.ID, "pipeline_id": o.PipelineID, "stage_id": o.StageID,
		"name": o.Name, "value": o.Value, "status": o.Status}
}

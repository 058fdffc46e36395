package simulation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// notRun are the step types a simulation reports instead of running: they
// reach systems outside the sandbox (a charge, an AI model, another
// workflow's enrollments), and no dry stand-in would answer as they do.
var notRun = map[string]string{
	"stripe_charge":   "it would charge with Stripe",
	"send_invoice":    "it would send a Stripe invoice",
	"ai_prompt":       "it would ask the AI model",
	"add_to_workflow": "it would enroll the contact into another workflow",
}

// overrides registers the real activities in the environment, replacing
// the step executor (to leave out the steps of notRun) and the drip join
// (there is no coordinator: the contact goes on at once).
type overrides struct {
	env *testsuite.TestWorkflowEnvironment
	r   *run
}

func (o *overrides) RegisterActivityWithOptions(fn any, opts activity.RegisterOptions) {
	switch opts.Name {
	case workflows.ActivityExecuteStep:
		real := fn.(func(context.Context, workflows.StepInput) (workflows.StepResult, error))
		fn = func(ctx context.Context, in workflows.StepInput) (workflows.StepResult, error) {
			o.r.called()
			return o.executeStep(ctx, in, real)
		}
	case workflows.ActivityRecordStep:
		real := fn.(func(context.Context, workflows.RecordStepInput) error)
		fn = func(ctx context.Context, in workflows.RecordStepInput) error {
			o.r.called()
			return real(ctx, in)
		}
	case workflows.ActivityJoinDrip:
		fn = o.joinDrip
	}
	o.env.RegisterActivityWithOptions(fn, opts)
}

// executeStep runs a step, or reports it not run; then it hands the events
// the step raised in the sandbox (a tag added, a field changed) to the run,
// as the server would: a goal waiting for that tag is met.
func (o *overrides) executeStep(ctx context.Context, in workflows.StepInput,
	real func(context.Context, workflows.StepInput) (workflows.StepResult, error)) (workflows.StepResult, error) {
	why, skip := notRun[in.Step.Type]
	if in.Step.Type == "remove_from_workflow" {
		why, skip = "it would end the contact's enrollments in another workflow", removesElsewhere(in)
	}
	if skip {
		return o.skip(ctx, in, "not run in a simulation: "+why)
	}
	res, err := real(ctx, in)
	if err == nil {
		err = o.deliverRaised(ctx)
	}
	return res, err
}

// removesElsewhere: a remove_from_workflow naming another workflow (one
// naming none, or this one, ends this enrollment, which a simulation shows).
func removesElsewhere(in workflows.StepInput) bool {
	var c struct {
		WorkflowID string `json:"workflow_id"`
	}
	_ = json.Unmarshal(in.Step.Config, &c)
	id := strings.TrimSpace(c.WorkflowID)
	return id != "" && id != in.Run.WorkflowID
}

// skip logs the step as skipped with why, as a real skipped step is.
func (o *overrides) skip(ctx context.Context, in workflows.StepInput, why string) (workflows.StepResult, error) {
	at := in.StartedAt.UTC()
	row := models.StepExecution{ID: models.NewID(), AccountID: in.Run.AccountID, WorkflowID: in.Run.WorkflowID,
		EnrollmentID: in.Run.EnrollmentID, ContactID: in.Run.ContactID, StepID: in.Step.ID, Visit: in.Visit,
		StepType: in.Step.Type, StepName: in.Step.Name, Status: models.StepSkipped, Attempts: 1, StartedAt: at, FinishedAt: &at,
		Output: map[string]any{"reason": why, "simulated": true}}
	if err := o.r.db.WithContext(ctx).Create(&row).Error; err != nil {
		return workflows.StepResult{}, fmt.Errorf("logging step %s: %w", in.Step.ID, err)
	}
	return workflows.StepResult{Output: map[string]any{"simulated": true}, Skipped: true, Reason: why, FinishedAt: at}, nil
}

// deliverRaised signals the run the events its steps raised in the sandbox
// and marks them delivered.
func (o *overrides) deliverRaised(ctx context.Context) error {
	var raised []models.Event
	db := o.r.db.WithContext(ctx)
	if err := db.Where("contact_id = ? AND routed_at IS NULL", o.r.req.ContactID).Order("id").Find(&raised).Error; err != nil {
		return fmt.Errorf("reading the events the step raised: %w", err)
	}
	for _, ev := range raised {
		o.env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data, OccurredAt: o.env.Now().UTC()})
		now := o.env.Now().UTC()
		if err := db.Model(&models.Event{}).Where("id = ?", ev.ID).Update("routed_at", &now).Error; err != nil {
			return fmt.Errorf("marking event %s delivered: %w", ev.ID, err)
		}
	}
	return nil
}

// joinDrip releases the contact at once: how long a drip holds it depends
// on the other contacts queued, which a simulation of one contact has not.
func (o *overrides) joinDrip(_ context.Context, in workflows.JoinDripInput) error {
	o.env.SignalWorkflow(workflows.SignalRelease, in.Join.Member.Key)
	return nil
}

// noOtherEnrollments ends a deleted contact's other enrollments: in the
// sandbox there are none (delete_contact deletes the copy).
type noOtherEnrollments struct{}

func (noOtherEnrollments) ExitContact(context.Context, string, string, string, ...string) error {
	return nil
}

// dryHTTPClient answers every webhook with 200 and an empty JSON object,
// without a connection: a simulation calls no one.
func dryHTTPClient() *http.Client {
	return &http.Client{Transport: dryTransport{}}
}

type dryTransport struct{}

func (dryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}, "X-Crmflow-Simulated": {"true"}},
		Body:    io.NopCloser(bytes.NewReader([]byte("{}"))),
		Request: req, ContentLength: 2}, nil
}

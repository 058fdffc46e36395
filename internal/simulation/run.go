package simulation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/durations"
)

// run is one simulation in progress.
type run struct {
	req        Request
	db         *gorm.DB
	enrollment *models.Enrollment
	log        *slog.Logger

	env       *testsuite.TestWorkflowEnvironment // the current Temporal run's
	next      int                                // the first request event not delivered yet
	delivered []DeliveredEvent
	steps     atomic.Int64 // activities the run called, against maxActivities

	maxActivities int64

	mu       sync.Mutex
	stopped  *snapshot // taken when the simulation stopped the run before it ended
	why      string    // why it stopped it
	warnings []Warning
}

// warn notes where the simulation differs from what the server would do.
func (r *run) warn(path, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, Warning{Path: path, Message: message})
}

// snapshot is the enrollment as the horizon found it.
type snapshot struct {
	enrollment models.Enrollment
	steps      []models.StepExecution
}

// execute runs the interpreter, run after run (continue-as-new), until the
// enrollment ends or the simulated clock reaches the horizon.
func (r *run) execute(ctx context.Context) (*Result, error) {
	acts := activities.New(activities.Options{
		DB: r.db, Contacts: &contacts.Service{DB: r.db}, Records: &records.Service{DB: r.db}, Enrollments: noOtherEnrollments{},
		// A simulated step is no step of the server's: its log line (one per
		// step, up to the activity limit) would read as a real run's.
		HTTP: dryHTTPClient(), Log: slog.New(slog.DiscardHandler),
		// Steps end on the simulated clock: a send takes no simulated time.
		Clock: func() time.Time { return r.env.Now() },
	})
	in := workflows.Input{
		RunRef: workflows.RunRef{AccountID: r.req.AccountID, WorkflowID: r.req.WorkflowID, ContactID: r.req.ContactID,
			EnrollmentID: r.enrollment.ID, Test: true},
		Definition: r.req.Definition,
	}
	if t := r.req.Trigger; t != nil {
		in.Event = &workflows.Event{ID: "simulated-trigger", Type: t.Type, Data: t.Data, OccurredAt: r.req.Start}
	}
	start, end := r.req.Start, r.req.Start.Add(r.req.Horizon)
	runs := 0
	for {
		runs++
		env := r.newEnv(acts, start, end)
		watch := context.AfterFunc(ctx, func() { r.stop(fmt.Sprintf("it took more than %s of real time", maxRealTime)) })
		env.ExecuteWorkflow(workflows.InterpretWorkflow, in)
		watch()
		if stopped, _ := r.stoppedAt(); stopped != nil {
			return r.result(ctx, runs, env.Now().UTC())
		}
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var next workflows.Input
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				return nil, fmt.Errorf("simulating: reading the input of the next run: %w", err)
			}
			in, start = next, env.Now().UTC()
			if runs == maxRuns {
				r.stop(fmt.Sprintf("the run continued as new %d times", maxRuns))
				return r.result(ctx, runs, start)
			}
			continue
		}
		// A failed enrollment fails its run too (EnrollmentFailed): the
		// enrollment row says why, as it does for a real run.
		return r.result(ctx, runs, env.Now().UTC())
	}
}

// newEnv is a time-skipping environment starting at start, with the
// interpreter, the activities over the sandbox (a few replaced, see
// dry.go), the request's events still to come and the horizon.
func (r *run) newEnv(acts *activities.Activities, start, end time.Time) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(maxRealTime)
	env.RegisterWorkflowWithOptions(workflows.Interpret, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
	acts.Register(&overrides{env: env, r: r})
	r.env = env
	for i := r.next; i < len(r.req.Events); i++ {
		ev := r.req.Events[i]
		env.RegisterDelayedCallback(func() {
			now := env.Now().UTC()
			if err := r.apply(context.Background(), i, ev); err != nil {
				r.log.Warn("simulation: applying an event", "type", ev.Type, "error", err)
			}
			env.SignalWorkflow(workflows.SignalEvent, workflows.Event{ID: fmt.Sprintf("simulated-%d", i+1), Type: ev.Type,
				Data: ev.Data, OccurredAt: now})
			r.delivered = append(r.delivered, DeliveredEvent{Type: ev.Type, At: now})
			r.next = i + 1
		}, max(r.req.Start.Add(ev.After).Sub(start), 0))
	}
	env.RegisterDelayedCallback(func() { r.stop("it reached its horizon of " + durations.Span(r.req.Horizon)) }, end.Sub(start))
	return env
}

// stop ends the simulation before the run ends: the run is kept as it
// stands (its status and log), then cancelled. The first reason counts.
func (r *run) stop(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped != nil {
		return
	}
	r.stopped, r.why = r.snap(), why
	r.env.CancelWorkflow()
}

func (r *run) stoppedAt() (*snapshot, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped, r.why
}

// called counts an activity call of the run and stops a run that made too
// many (a loop that waits little, over a long horizon).
func (r *run) called() {
	if r.steps.Add(1) == r.maxActivities {
		r.stop(fmt.Sprintf("the run called %d activities, the most one simulation may", r.maxActivities))
	}
}

// snap reads the enrollment and its log as they stand.
func (r *run) snap() *snapshot {
	s := &snapshot{}
	db := r.db.WithContext(context.Background())
	if err := db.First(&s.enrollment, "id = ?", r.enrollment.ID).Error; err != nil {
		r.log.Warn("simulation: reading the enrollment at the horizon", "error", err)
	}
	if err := db.Where("enrollment_id = ?", r.enrollment.ID).Order("started_at, id").Find(&s.steps).Error; err != nil {
		r.log.Warn("simulation: reading the log at the horizon", "error", err)
	}
	return s
}

// result reads what the run left in the sandbox.
func (r *run) result(ctx context.Context, runs int, ended time.Time) (*Result, error) {
	s, why := r.stoppedAt()
	if s == nil {
		s = r.snap()
	}
	if s.enrollment.ID == "" {
		return nil, fmt.Errorf("simulating: the enrollment was not found afterwards")
	}
	res := &Result{Status: s.enrollment.Status, Reason: s.enrollment.ExitReason, CurrentStep: s.enrollment.CurrentStep,
		StartedAt: r.req.Start, EndedAt: ended, Steps: s.steps, Delivered: r.delivered, Runs: runs, Stopped: why}
	r.mu.Lock()
	res.Warnings = append(res.Warnings, r.warnings...)
	r.mu.Unlock()
	if res.Status == models.EnrollmentPending {
		res.Status = models.EnrollmentActive
	}
	if s.enrollment.FinishedAt != nil && why == "" {
		res.EndedAt = s.enrollment.FinishedAt.UTC()
	}
	// The request's time may be up (a stop for real time): the sandbox is still ours to read.
	err := r.db.WithContext(context.WithoutCancel(ctx)).Where("enrollment_id = ?", r.enrollment.ID).Order("created_at, id").Find(&res.Messages).Error
	if err != nil {
		return nil, fmt.Errorf("simulating: reading the messages: %w", err)
	}
	return res, nil
}

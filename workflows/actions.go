package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/steps"
)

// action runs an action step as an activity: a regular one with retries
// when it crosses the network, a local one when it only touches our
// database. The activity writes the step's execution-log row itself, so a
// step costs one activity, no more.
func (r *run) action(ctx workflow.Context, s *definition.Step, k steps.Action) (string, *ending, error) {
	held, err := r.holdForTimeWindow(ctx, s, k)
	if err != nil {
		return "", nil, err
	}
	in := StepInput{
		Run: r.ref(), Step: *s, Visit: r.cursor.Visits[s.ID], Settings: r.def.Settings,
		Event: r.in.Event, Outputs: r.cursor.Outputs, StartedAt: r.now(ctx), HeldByWindow: held,
	}
	var res StepResult
	if k.Remote() {
		err = workflow.ExecuteActivity(remoteCtx(ctx, s), ActivityExecuteStep, in).Get(ctx, &res)
	} else {
		err = workflow.ExecuteLocalActivity(localStepCtx(ctx, s), ActivityExecuteStep, in).Get(ctx, &res)
	}
	if err != nil {
		if temporal.IsCanceledError(err) {
			return "", nil, err
		}
		return r.actionFailed(ctx, s, in.StartedAt, err)
	}
	if res.FinishedAt.After(r.logged) {
		r.logged = res.FinishedAt
	}
	if res.Exit {
		return "", &ending{status: models.EnrollmentExited, reason: res.Reason}, nil
	}
	r.setOutput(s.ID, res.Output)
	return s.Next, nil, nil
}

// holdForTimeWindow keeps a step that messages the contact until the
// workflow's time window (settings.time_window) opens, in the workflow's
// timezone for this contact (held). The step is logged as waiting meanwhile.
func (r *run) holdForTimeWindow(ctx workflow.Context, s *definition.Step, k steps.Kind) (held bool, err error) {
	w := r.def.Settings.TimeWindow
	c, communicates := k.(steps.Communicator)
	if w == nil || !communicates || !c.Communicates() || r.flowVersion < flowTimeWindows {
		return false, nil
	}
	rt := &runtime{r: r}
	res, err := rt.Resolve(ctx, s, steps.ResolveRequest{Zone: true})
	if err != nil {
		return false, err
	}
	now := workflow.Now(ctx)
	loc := calendar.Zone(res.Zone, "", "")
	opens := calendar.NextOpening(*w, loc, now)
	if !opens.After(now) {
		return false, nil
	}
	_, err = rt.Wait(ctx, s, steps.WaitSpec{Until: opens, Reason: "the time window (opens " + steps.WaitClock(opens, loc) + ")"})
	return err == nil, err
}

// actionFailed applies the step's on_failure once its last attempt failed.
func (r *run) actionFailed(ctx workflow.Context, s *definition.Step, started time.Time, err error) (string, *ending, error) {
	msg := failureMessage(err)
	if rerr := r.record(ctx, s, RecordStepInput{Status: models.StepFailed, StartedAt: started, Error: msg}); rerr != nil {
		return "", nil, rerr
	}
	switch s.OnFailure {
	case "", "fail":
		return "", &ending{status: models.EnrollmentFailed, reason: "step " + s.ID + " failed: " + msg}, nil
	case "continue":
		return s.Next, nil, nil
	default:
		return s.OnFailure, nil, nil
	}
}

// failureMessage unwraps Temporal's activity error to the step's own message.
func failureMessage(err error) string {
	var appErr *temporal.ApplicationError
	for e := err; e != nil; {
		if ae, ok := e.(*temporal.ApplicationError); ok {
			appErr = ae
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	if appErr != nil {
		return appErr.Message()
	}
	return err.Error()
}

// Default retry policy of remote steps: webhooks and providers get a few
// tries with exponential backoff before the step fails.
const (
	defaultAttempts        = 5
	defaultInitialInterval = 2 * time.Second
	defaultBackoff         = 2.0
	remoteTimeout          = 60 * time.Second
)

func retryPolicy(s *definition.Step) *temporal.RetryPolicy {
	p := &temporal.RetryPolicy{
		InitialInterval:    defaultInitialInterval,
		BackoffCoefficient: defaultBackoff,
		MaximumInterval:    5 * time.Minute,
		MaximumAttempts:    defaultAttempts,
	}
	if rp := s.Retry; rp != nil {
		if rp.MaxAttempts > 0 {
			p.MaximumAttempts = int32(rp.MaxAttempts)
		}
		if d, err := durations.Parse(rp.InitialInterval); err == nil && d > 0 {
			p.InitialInterval = d
		}
		if rp.Backoff >= 1 {
			p.BackoffCoefficient = rp.Backoff
		}
	}
	// Temporal refuses a maximum below the initial interval (the server
	// fails the workflow task, again and again): a longer one is the cap.
	p.MaximumInterval = max(p.MaximumInterval, p.InitialInterval)
	return p
}

func remoteCtx(ctx workflow.Context, s *definition.Step) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: remoteTimeout,
		RetryPolicy:         retryPolicy(s),
	})
}

func localStepCtx(ctx workflow.Context, s *definition.Step) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         retryPolicy(s),
	})
}

// localCtx is for the interpreter's own bookkeeping (loading, logging):
// retried until the database answers, since a lost log row is a lie.
func localCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// Interpret walks the pinned version's graph for one contact: one step at a
// time from the cursor, until a step without next, an end step, an exit or
// a failure. Waits are durable timers; action steps are activities.
func Interpret(ctx workflow.Context, in Input) error {
	r := &run{in: in, cursor: in.Cursor}
	if r.cursor == nil {
		r.cursor = &Cursor{Visits: map[string]int{}, Outputs: map[string]map[string]any{}}
	}
	r.flowVersion = flowControlVersion(ctx)
	r.listen(ctx)
	if err := r.handleMigrations(ctx); err != nil {
		return err
	}
	if err := r.load(ctx); err != nil {
		return r.finish(ctx, models.EnrollmentFailed, "loading the workflow: "+err.Error(), "")
	}
	if r.cursor.StepID == "" && in.Cursor == nil {
		r.cursor.StepID = r.def.Start
	}
	executedThisRun := 0
	for r.cursor.StepID != "" {
		if r.shouldContinueAsNew(ctx, executedThisRun) {
			return r.continueAsNew(ctx)
		}
		if moved, err := r.migrationAccepted(ctx); err != nil {
			return r.finishCancelled(ctx, r.cursor.StepID)
		} else if moved { // accepted as the run continued as new inside its wait
			r.applyMigration(ctx)
		}
		step, ok := r.def.StepByID(r.cursor.StepID)
		if !ok {
			return r.finish(ctx, models.EnrollmentFailed, fmt.Sprintf("step %q does not exist in version %d", r.cursor.StepID, r.in.Version), r.cursor.StepID)
		}
		if err := r.pollGoals(ctx, step); err != nil {
			if handled, herr := r.interrupted(ctx, step, err); handled {
				continue
			} else if herr != nil {
				err = herr
			}
			return r.finish(ctx, models.EnrollmentFailed, err.Error(), step.ID)
		}
		if !r.cursor.Reenter {
			r.cursor.Visits[step.ID]++
			r.cursor.PrevSeq, r.cursor.StepSeq = r.cursor.StepSeq, r.cursor.LastSeq
		}
		r.resumed, r.cursor.Reenter = r.cursor.Reenter, false
		r.cursor.Executed++
		executedThisRun++
		if r.cursor.Unwaited++; r.spinning() {
			return r.finish(ctx, models.EnrollmentFailed, fmt.Sprintf("stopped at step %q after %d steps without waiting: "+
				"a loop whose wait ends at once (a date that has passed, a condition that holds already); fix the loop and retry the enrollment",
				step.ID, r.cursor.Unwaited-1), step.ID)
		}
		next, end, err := r.step(ctx, step)
		r.resumed = false
		if err != nil {
			var intr *interruption
			if errors.As(err, &intr) && intr.kind == interruptContinue {
				r.cursor.Reenter = true
				return r.continueAsNew(ctx)
			}
			if handled, herr := r.interrupted(ctx, step, err); handled {
				continue
			} else if herr != nil {
				err = herr
			}
			if temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled) {
				return r.finishCancelled(ctx, step.ID)
			}
			return r.finish(ctx, models.EnrollmentFailed, err.Error(), step.ID)
		}
		r.cursor.Wait = nil
		if end != nil {
			return r.finish(ctx, end.status, end.reason, step.ID)
		}
		r.cursor.StepID = next
	}
	return r.finish(ctx, models.EnrollmentCompleted, "", "")
}

// interrupted acts on a goal reached or a migration accepted while step s
// waited (or between steps); handled is false when err is neither.
func (r *run) interrupted(ctx workflow.Context, s *definition.Step, err error) (handled bool, _ error) {
	var intr *interruption
	if !errors.As(err, &intr) {
		return false, nil
	}
	switch intr.kind {
	case interruptMigrate:
		// The step it waited at runs again in the new graph, as the same visit.
		r.applyMigration(ctx)
		r.cursor.Reenter = true
		return true, nil
	case interruptGoal:
		if r.cursor.Wait != nil && r.cursor.Wait.StepID == s.ID && intr.goal != s.ID {
			// The step it waited at ends here; its log row says why.
			out := map[string]any{"ended_by_goal": intr.goal}
			if rerr := r.record(ctx, s, RecordStepInput{Status: models.StepCompleted, StartedAt: r.cursor.Wait.Started, Output: out}); rerr != nil {
				return false, rerr
			}
		}
		r.cursor.Reenter = intr.goal == s.ID && r.cursor.Wait != nil // a goal waiting for itself
		r.cursor.Wait = nil
		r.reachGoal(intr.goal, intr.event)
		return true, nil
	}
	return false, nil
}

// run is the state of one interpreter run.
type run struct {
	in     Input
	def    *definition.Definition
	cursor *Cursor
	// goals are the definition's goal steps, watched for their events.
	goals []goalWatch
	// migration is accepted by the migrate update, applied by the main loop;
	// migrating counts the updates still loading their version.
	migration *pendingMigration
	migrating int
	// waiting: the run is blocked in a wait, where a move can interrupt it.
	waiting bool
	// resumed: the step runs again as the same visit (Cursor.Reenter).
	resumed bool
	// flowVersion is the changeFlowControl version this run started with.
	flowVersion workflow.Version
	// logged is the latest finish time an action's activity logged (see
	// now): the execution log's next row does not start before it.
	logged time.Time
}

// now is the time of the execution log: the workflow's, but never before
// the end an action's activity logged on its own clock (activity time runs
// ahead of workflow time inside a workflow task, and in tests). It comes
// from recorded activity results, so a replay computes the same.
func (r *run) now(ctx workflow.Context) time.Time {
	now := workflow.Now(ctx)
	if r.logged.After(now) {
		return r.logged
	}
	return now
}

type ending struct {
	status string
	reason string
}

func (r *run) ref() RunRef { return r.in.RunRef }

func (r *run) load(ctx workflow.Context) error {
	var res LoadRunResult
	in := LoadRunInput{Run: r.ref(), TemporalRunID: workflow.GetInfo(ctx).WorkflowExecution.RunID}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), ActivityLoadRun, in).Get(ctx, &res); err != nil {
		return err
	}
	r.def = &res.Definition
	if r.in.Definition != nil { // Test Workflow runs the draft it was given
		r.def = r.in.Definition
	}
	r.goals = watchGoals(r.def)
	return nil
}

// step runs one step and says where to go next, or how the enrollment ends.
func (r *run) step(ctx workflow.Context, s *definition.Step) (next string, end *ending, err error) {
	kind, ok := steps.Lookup(s.Type)
	if !ok {
		return "", nil, fmt.Errorf("step %q has unknown type %q", s.ID, s.Type)
	}
	if s.Disabled {
		return s.Next, nil, r.record(ctx, s, RecordStepInput{Status: models.StepSkipped, Output: map[string]any{"reason": "step is disabled"}})
	}
	switch k := kind.(type) {
	case steps.Action:
		return r.action(ctx, s, k)
	case steps.Flow:
		return r.flow(ctx, s, k)
	}
	return "", nil, fmt.Errorf("step type %q cannot run", s.Type)
}

func (r *run) flow(ctx workflow.Context, s *definition.Step, k steps.Flow) (string, *ending, error) {
	started := r.now(ctx)
	out, err := k.Run(ctx, &runtime{r: r}, s)
	if err != nil {
		var intr *interruption
		if temporal.IsCanceledError(err) || errors.As(err, &intr) {
			return "", nil, err
		}
		rerr := r.record(ctx, s, RecordStepInput{Status: models.StepFailed, StartedAt: started, Error: err.Error()})
		return "", nil, errors.Join(err, rerr)
	}
	r.setOutput(s.ID, out.Output)
	if w := r.cursor.Wait; w != nil && w.StepID == s.ID {
		started = w.Started // the log row of a wait spans the whole wait
	}
	rec := RecordStepInput{Status: models.StepCompleted, StartedAt: started, Output: out.Output}
	if out.Skipped {
		rec.Status = models.StepSkipped
		rec.Output = withReason(out.Output, out.Reason)
	}
	if err := r.record(ctx, s, rec); err != nil {
		return "", nil, err
	}
	if out.Exit {
		return "", &ending{status: models.EnrollmentExited, reason: out.Reason}, nil
	}
	if s.Type == "end" {
		return "", &ending{status: models.EnrollmentCompleted, reason: out.Reason}, nil
	}
	return out.Next, nil, nil
}

func withReason(out map[string]any, reason string) map[string]any {
	m := map[string]any{"reason": reason}
	for k, v := range out {
		m[k] = v
	}
	return m
}

func (r *run) setOutput(stepID string, out map[string]any) {
	if out != nil {
		r.cursor.Outputs[stepID] = out
	}
}

// record writes an execution-log row through a local activity.
func (r *run) record(ctx workflow.Context, s *definition.Step, in RecordStepInput) error {
	in.Run = r.ref()
	in.Step = *s
	in.Visit = r.cursor.Visits[s.ID]
	now := r.now(ctx)
	if in.StartedAt.IsZero() {
		in.StartedAt = now
	}
	if in.Status != models.StepWaiting && in.Status != models.StepRunning && in.FinishedAt == nil {
		in.FinishedAt = &now
	}
	return workflow.ExecuteLocalActivity(localCtx(ctx), ActivityRecordStep, in).Get(ctx, nil)
}

// finish closes the enrollment. A failed enrollment also fails its Temporal
// run (see failRun), so support staff see it under the Web UI's failures.
func (r *run) finish(ctx workflow.Context, status, reason, stepID string) error {
	in := FinishInput{Run: r.ref(), Status: status, Reason: reason, StepID: stepID, FinishedAt: r.now(ctx)}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), ActivityFinish, in).Get(ctx, nil); err != nil {
		return err
	}
	if status == models.EnrollmentFailed {
		return failRun(ctx, reason)
	}
	return nil
}

// finishCancelled records a removal from the workflow; the context is
// cancelled, so the record runs on a disconnected one.
func (r *run) finishCancelled(ctx workflow.Context, stepID string) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return r.finish(dctx, models.EnrollmentExited, "removed from workflow", stepID)
}

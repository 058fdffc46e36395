package bench

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// LoopOptions size a bounded-history run.
type LoopOptions struct {
	Loops       int // iterations of the loop; default 10,000
	DatabaseURL string
	Log         *slog.Logger
}

// LoopReport is what one long loop did to its histories.
type LoopReport struct {
	Loops          int
	Steps          int // steps executed in all runs
	Runs           int // the first run and every continue-as-new
	Events         int // history events of all runs
	MaxRunEvents   int // the longest history of any run (goal: under 2,000)
	EventsPerStep  float64
	Elapsed        time.Duration
	LoopsPerSecond float64
}

func (r LoopReport) String() string {
	return fmt.Sprintf("%d loops, %d steps in %d runs (%v, %.0f loops/s): %d history events, %.2f per step; longest run history %d events",
		r.Loops, r.Steps, r.Runs, r.Elapsed.Round(time.Millisecond), r.LoopsPerSecond, r.Events, r.EventsPerStep, r.MaxRunEvents)
}

// loop is a workflow that loops: wait, count, check, go back. The wait is a
// real durable timer (1ms, so the benchmark ends in minutes).
const loop = `{"name": "loop", "triggers": [], "start": "w", "steps": [
	{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1ms"}, "next": "n"},
	{"id": "n", "type": "math", "config": {"operation": "add", "left": "{{contact.custom.n | default: 0}}", "right": "1", "target": "custom.n"}, "next": "c"},
	{"id": "c", "type": "if_else", "config": {"branches": [{"name": "done", "when": {"field": "contact.custom.n", "op": "gte", "value": %d}, "next": "e"}], "else": "g"}},
	{"id": "g", "type": "goto", "config": {"step": "w"}},
	{"id": "e", "type": "end", "config": {"reason": "looped"}}
]}`

// stepsPerLoop are the steps of one iteration (w, n, c, g).
const stepsPerLoop = 4

// RunLoop runs one enrollment through Loops iterations of a loop with a wait
// and measures the history of every run it took (continue-as-new keeps each
// one short).
func RunLoop(ctx context.Context, opts LoopOptions) (LoopReport, error) {
	if opts.Loops <= 0 {
		opts.Loops = 10000
	}
	rg, err := boot(ctx, opts.DatabaseURL, opts.Log, nil)
	if err != nil {
		return LoopReport{}, err
	}
	defer rg.close()
	wf, _, err := rg.publish(ctx, fmt.Sprintf(loop, opts.Loops))
	if err != nil {
		return LoopReport{}, err
	}
	c, err := rg.contacts.Create(ctx, rg.account.ID, contacts.Input{FirstName: ptr("Loop")})
	if err != nil {
		return LoopReport{}, err
	}
	e := models.Enrollment{ID: models.NewID(), AccountID: rg.account.ID, WorkflowID: wf.ID, ContactID: c.ID, EntryKey: "1",
		EntryNo: 1, Version: wf.Version, Status: models.EnrollmentPending, StartedAt: time.Now().UTC()}
	if err := rg.db.Create(&e).Error; err != nil {
		return LoopReport{}, err
	}
	in := workflows.Input{RunRef: workflows.RunRef{AccountID: rg.account.ID, WorkflowID: wf.ID, Version: wf.Version, ContactID: c.ID, EnrollmentID: e.ID}}
	start := time.Now()
	run, err := rg.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-loop/" + e.ID, TaskQueue: workflows.TaskQueue}, workflows.InterpretWorkflow, in)
	if err != nil {
		return LoopReport{}, err
	}
	first := run.GetRunID()                   // Get moves the handle on to the last run
	if err := run.Get(ctx, nil); err != nil { // follows continue-as-new to the last run
		return LoopReport{}, err
	}
	r := LoopReport{Loops: opts.Loops, Elapsed: time.Since(start)}
	r.LoopsPerSecond = float64(r.Loops) / r.Elapsed.Seconds()
	// Walk the chain of runs from the first, counting each history.
	for runID := first; runID != ""; {
		next, events, err := history(ctx, rg.tc, run.GetID(), runID)
		if err != nil {
			return LoopReport{}, err
		}
		r.Runs++
		r.Events += events
		r.MaxRunEvents = max(r.MaxRunEvents, events)
		runID = next
	}
	var done models.Enrollment
	if err := rg.db.First(&done, "id = ?", e.ID).Error; err != nil {
		return LoopReport{}, err
	}
	if done.Status != models.EnrollmentCompleted {
		return LoopReport{}, fmt.Errorf("the loop ended %s: %s", done.Status, done.ExitReason)
	}
	var steps int64
	if err := rg.db.Model(&models.StepExecution{}).Where("enrollment_id = ?", e.ID).Count(&steps).Error; err != nil {
		return LoopReport{}, err
	}
	r.Steps = int(steps)
	if r.Steps != r.Loops*stepsPerLoop { // the last loop ends instead of going back
		return r, fmt.Errorf("the log has %d steps, want %d", r.Steps, r.Loops*stepsPerLoop)
	}
	r.EventsPerStep = float64(r.Events) / float64(r.Steps)
	return r, nil
}

// history counts one run's events and returns the run it continued as.
func history(ctx context.Context, tc client.Client, workflowID, runID string) (next string, events int, err error) {
	it := tc.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return "", 0, err
		}
		events++
		if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
			next = a.GetNewExecutionRunId()
		}
	}
	return next, events, nil
}

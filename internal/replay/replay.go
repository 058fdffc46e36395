// Package replay replays recorded workflow histories against the current
// interpreter code, so a change that would break runs already in flight is
// caught before deploy (the `crmflow replay` command and the CI replay test
// both go through it), and says near which step of the user's graph a
// nondeterminism shows up.
package replay

import (
	"fmt"
	"io"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows"
)

// Checker replays histories. The zero value replays against the real
// interpreter; tests set Workflow to prove a changed one is caught.
type Checker struct {
	// Workflow is registered under workflows.InterpretWorkflow; nil means
	// workflows.Interpret.
	Workflow any
}

// Result is the outcome of replaying one history.
type Result struct {
	// Source names the history: a file path or a workflow id/run id.
	Source string
	// Err is nil when the history replayed.
	Err error
	// EventID is the first history event of the workflow task that no
	// longer replays (0 when unknown).
	EventID int64
	// Step is the interpreter step near that event (empty when unknown).
	Step StepRef
}

// OK tells whether the history replayed against the current code.
func (r Result) OK() bool { return r.Err == nil }

// String is the one line the command prints per history.
func (r Result) String() string {
	if r.Err == nil {
		return r.Source + ": OK"
	}
	where := ""
	if r.EventID > 0 {
		where = fmt.Sprintf(" at event %d", r.EventID)
	}
	if r.Step.ID != "" {
		where += " near step " + r.Step.String()
	}
	return fmt.Sprintf("%s: FAILED%s: %v", r.Source, where, r.Err)
}

// Replay replays one history and, when it fails, locates the failure.
func (c Checker) Replay(source string, h *historypb.History) Result {
	res := Result{Source: source, Err: c.replay(h)}
	if res.Err == nil {
		return res
	}
	first, last := c.failingTask(h)
	if first < 0 {
		return res
	}
	res.EventID = h.Events[first].GetEventId()
	res.Step = stepNear(h.Events, first, last)
	return res
}

func (c Checker) replay(h *historypb.History) error {
	wf := c.Workflow
	if wf == nil {
		wf = workflows.Interpret
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
	// `replay --workflow --all` lists a workflow's drip coordinators too (they carry CrmWorkflowId).
	r.RegisterWorkflowWithOptions(workflows.DripCoordinator, workflow.RegisterOptions{Name: workflows.DripWorkflow})
	// The SDK logs every replayed task; only the outcome matters here.
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return r.ReplayWorkflowHistory(quiet, h)
}

// failingTask finds the first workflow task whose commands no longer match,
// by replaying ever longer prefixes of the history cut at task boundaries
// (a cut history replays like a run still in flight). The SDK's error text
// names the mismatching event but not its id, so the prefixes are what
// locates it. It answers the index range [first, last] of that task's
// commands (the events after its WorkflowTaskCompleted), or -1.
func (c Checker) failingTask(h *historypb.History) (first, last int) {
	events := h.GetEvents()
	// cuts[i] is the length of the prefix that ends just before a workflow
	// task is scheduled: everything the previous task decided is in it.
	var cuts []int
	for i, e := range events {
		if i > 1 && e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED {
			cuts = append(cuts, i)
		}
	}
	cuts = append(cuts, len(events))
	// Binary search for the shortest failing prefix: once a task fails to
	// replay, every longer prefix fails too.
	lo, hi := 0, len(cuts)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if c.replay(&historypb.History{Events: events[:cuts[mid]]}) != nil {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	end := cuts[lo]
	start := 0
	if lo > 0 {
		start = cuts[lo-1]
	}
	// The commands of the failing task follow its WorkflowTaskCompleted.
	first = -1
	for i := end - 1; i >= start; i-- {
		if events[i].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			first = i + 1
			break
		}
	}
	if first < 0 || first >= end {
		// A task with no commands (or a cut inside one): point at its end.
		return end - 1, end - 1
	}
	return first, end - 1
}

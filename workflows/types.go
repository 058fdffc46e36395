// Package workflows holds crmflow's Temporal workflows. Interpret is the one
// generic workflow that walks a published workflow version's step graph for
// one enrolled contact. Everything here is deterministic: data comes in
// through activities, time through the SDK.
package workflows

import (
	"time"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// TaskQueue is where the worker listens and enrollments run.
const TaskQueue = "crmflow"

// Names of the workflows and activities, shared by the worker and the
// interpreter so neither imports the other's code.
const (
	InterpretWorkflow = "crmflow.Interpret"

	ActivityLoadRun     = "crmflow.LoadRun"
	ActivityExecuteStep = "crmflow.ExecuteStep"
	ActivityEvaluate    = "crmflow.Evaluate"
	ActivityRecordStep  = "crmflow.RecordStep"
	ActivityFinish      = "crmflow.Finish"
	ActivityResolve     = "crmflow.Resolve"
	ActivityLoadVersion = "crmflow.LoadVersion"
)

// Input starts (or continues) one enrollment: (workflow, version, contact, event).
type Input struct {
	RunRef
	// Definition is set only for Test Workflow runs, which run an unpublished draft.
	Definition *definition.Definition `json:",omitempty"`
	Event      *Event                 `json:",omitempty"`
	// Cursor resumes a run carried over by continue-as-new or a retry.
	Cursor *Cursor `json:",omitempty"`
}

// Event is the event that enrolled the contact (what event.<path> reads),
// or one signalled to the run later.
type Event = steps.Event

// Cursor is where a run stands: the next step, how often each step ran
// (visits key the idempotency of sends), the outputs so far, and how many
// steps ran in all.
type Cursor struct {
	StepID   string
	Visits   map[string]int
	Outputs  map[string]map[string]any
	Executed int
	// Events are the latest events signalled to the run, oldest first.
	Events []Event `json:",omitempty"`
	// LastSeq numbers the events received so far; GoalSeq is the last one
	// checked against the goals.
	LastSeq int `json:",omitempty"`
	GoalSeq int `json:",omitempty"`
	// StepSeq was LastSeq when the current step began, PrevSeq when the one
	// before it began: a wait counts events from PrevSeq on, so a reply that
	// came while the text before the wait was still being sent is not lost.
	StepSeq int `json:",omitempty"`
	PrevSeq int `json:",omitempty"`
	// Looked numbers the kept events that a wait looked at, being of a type
	// it waits for: they were that wait's (it ended on one, or turned it
	// down), so no later wait counts them, even from the step before it.
	Looked []int `json:",omitempty"`
	// GoalsMet holds the event that met each goal step reached by a jump.
	GoalsMet map[string]Event `json:",omitempty"`
	// Wait is the wait in progress, kept when the run continues as new or
	// moves to a newer version in the middle of it.
	Wait *WaitState `json:",omitempty"`
	// Reenter runs StepID again as the same visit (after a continue-as-new
	// or a migration inside a wait), so its idempotency keys do not change.
	Reenter bool `json:",omitempty"`
	// Unwaited counts the steps run since the run last waited for real (a
	// timer, a signal): a loop whose wait never waits is stopped by it.
	Unwaited int `json:",omitempty"`
	// Releases are the release signals received (drip), by key.
	Releases map[string]bool `json:",omitempty"`
}

// WaitState is where a wait stands: since when it waits (deadlines count
// from there), and the last event it looked at.
type WaitState struct {
	StepID  string
	Visit   int
	Started time.Time
	Seen    int
	// Joined: this visit is queued with its drip coordinator already.
	Joined bool `json:",omitempty"`
	// Event ended the wait: a visit run again (it held for its resume
	// window when it continued as new or moved version) ends with it again.
	Event *Event `json:",omitempty"`
}

// RunRef identifies the enrollment (in the run's input, flattened, and in
// activity inputs).
type RunRef struct {
	AccountID    string
	WorkflowID   string
	Version      int
	ContactID    string
	EnrollmentID string
	Test         bool
	// Chain lists the workflows whose add_to_workflow steps led to this
	// enrollment, outermost first (see models.Enrollment.Chain).
	Chain []string `json:",omitempty"`
}

// LoadRunInput asks for the pinned definition and marks the enrollment running.
type LoadRunInput struct {
	Run           RunRef
	TemporalRunID string
}

// LoadRunResult is the definition the run walks.
type LoadRunResult struct {
	Definition definition.Definition
}

// StepInput runs one action step (or evaluates one branch step).
type StepInput struct {
	Run       RunRef
	Step      definition.Step
	Visit     int
	Settings  definition.Settings
	Event     *Event                    `json:",omitempty"`
	Outputs   map[string]map[string]any `json:",omitempty"`
	StartedAt time.Time
	// HeldByWindow: settings.time_window held the step until StartedAt;
	// its log says so (held_by_window, resumed_at).
	HeldByWindow bool `json:",omitempty"`
}

// StepResult is what an action step did.
type StepResult struct {
	Output  map[string]any
	Skipped bool
	Reason  string
	// Exit ends the enrollment as exited, with Reason (remove_from_workflow of itself).
	Exit bool `json:",omitempty"`
	// FinishedAt is the finish time the activity logged: the next step's
	// log row does not start before it (zero in results recorded before it).
	FinishedAt time.Time `json:",omitzero"`
}

// EvaluateInput evaluates conditions in order for a branching step.
type EvaluateInput struct {
	StepInput
	Conditions []*condition.Node
}

// RecordStepInput writes one execution-log row and the enrollment's status.
type RecordStepInput struct {
	Run        RunRef
	Step       definition.Step
	Visit      int
	Status     string // running, waiting, completed, skipped, failed
	StartedAt  time.Time
	FinishedAt *time.Time
	Until      *time.Time // for waits: when the wait ends
	Output     map[string]any
	Error      string
	Attempts   int
}

// ResolveInput asks for what a flow step needs from outside the workflow.
type ResolveInput struct {
	StepInput
	Request steps.ResolveRequest
}

// LoadVersionInput moves the enrollment to another version of its workflow
// (a migration) and returns that version's definition.
type LoadVersionInput struct {
	Run     RunRef
	Version int
	// StepID must exist in that version, as a step of StepType.
	StepID   string
	StepType string
}

// FinishInput closes the enrollment.
type FinishInput struct {
	Run        RunRef
	Status     string // completed, exited, failed
	Reason     string
	StepID     string
	FinishedAt time.Time
}

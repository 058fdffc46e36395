// Package steps holds the step types of the workflow graph: one file a type,
// with its config, its validation and how it runs. Action types (sends,
// record changes, webhooks) run as Temporal activities through Env; flow types
// (wait, if/else, goto, end) run inside the interpreter workflow through Runtime.
package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/registry"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Kind is what every step type provides.
type Kind interface {
	Type() string
	// Validate checks the step's config; p points at the step (steps[i]).
	Validate(p *validation.Problems, s *definition.Step)
	// Targets lists the steps this one may go to besides its own next, with
	// the config path that names each, for graph checks. It runs on configs
	// that Validate may have faulted: read them with readConfig, so that a
	// fault elsewhere in the config does not hide the targets.
	Targets(s *definition.Step) []Target
}

// Target is a reference from a step's config to another step.
type Target struct {
	Path   string // relative to the step, e.g. "config.branches[0].next"
	StepID string
}

// Action is a step with a side effect, run as a Temporal activity.
type Action interface {
	Kind
	// Remote actions cross the network (SMS, email, webhooks) and run as
	// regular activities with retries; the others only touch our own
	// database and run as cheap local activities.
	Remote() bool
	Execute(ctx context.Context, env Env, call *Call) (Result, error)
}

// Result is what an action reports: its output (readable as
// steps.<id>.<path>), or that it was skipped and why.
type Result struct {
	Output  map[string]any
	Skipped bool
	Reason  string
	// Exit ends the enrollment as exited after this step, with Reason.
	Exit bool
}

// Flow is a control step, run inside the interpreter workflow. Its code must
// be deterministic: time, randomness and data only through rt and the SDK.
type Flow interface {
	Kind
	Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error)
}

// Outcome tells the interpreter where a flow step leads.
type Outcome struct {
	Next   string         // the step to run next; "" ends the enrollment as completed
	Output map[string]any // e.g. the branch taken
	Exit   bool           // end the enrollment now as exited (see Reason)
	Reason string
	// Skipped logs the step as skipped (with Reason) rather than completed.
	Skipped bool
}

// Runtime is what the interpreter offers flow steps.
type Runtime interface {
	// FirstMatch evaluates the conditions in order against fresh contact
	// data, the event and earlier outputs, and returns the first that holds, or -1.
	FirstMatch(ctx workflow.Context, s *definition.Step, conds []*condition.Node) (int, error)
	// Holds evaluates one condition like FirstMatch; ev, when not nil,
	// stands in for the triggering event (event.* reads it).
	Holds(ctx workflow.Context, s *definition.Step, cond *condition.Node, ev *Event) (bool, error)
	// Sleep waits durably for d, logging the step as waiting until then.
	Sleep(ctx workflow.Context, s *definition.Step, d time.Duration) error
	// Wait blocks until what spec names happens (see WaitSpec), logging the
	// step as waiting. A goal reached meanwhile, a migration to a newer
	// version or a continue-as-new interrupts it with an error that the
	// kind returns as is: the interpreter handles it.
	Wait(ctx workflow.Context, s *definition.Step, spec WaitSpec) (WaitResult, error)
	// WaitStarted is when this visit of s began waiting. It survives the run
	// continuing as new and a migration to a newer version, so a deadline
	// computed from it never moves.
	WaitStarted(ctx workflow.Context, s *definition.Step) time.Time
	// Resolve reads what a step needs from outside the workflow (rendered
	// templates, the timezone, an appointment), in a local activity.
	Resolve(ctx workflow.Context, s *definition.Step, req ResolveRequest) (Resolved, error)
	// StickyKey is the same for every entry of one contact into one
	// workflow: splits hash it, so a re-entering contact keeps its path.
	StickyKey() string
	// GoalMet returns the event that met goal step s in this enrollment
	// (the interpreter jumps to a goal when its event arrives), or nil.
	GoalMet(s *definition.Step) *Event
	// JoinDrip queues this visit of s with the step's drip coordinator,
	// which releases it with the signal key DripKey(s) later.
	JoinDrip(ctx workflow.Context, s *definition.Step, req DripRequest) (key string, err error)
}

// WaitSpec is what ends a wait; zero fields play no part. Events count
// from when the step before the wait began (a reply to the text sent just
// before the wait counts, however fast it came), except those a wait before
// it looked at (it ended on one, or turned it down).
type WaitSpec struct {
	Until  time.Time      // a deadline: the wait then ends with TimedOut
	Events []EventMatcher // an event of one of these types whose filters hold
	Signal string         // a release signal with this key (drip)
	Reason string         // why it waits, shown in the execution log
}

// WaitResult says what ended a wait.
type WaitResult struct {
	TimedOut bool   // the deadline came
	Event    *Event // the matching event
	Signal   bool   // the release signal came
}

// ResolveRequest asks for data from outside the workflow.
type ResolveRequest struct {
	// Templates to render against the step's scope, by name.
	Templates map[string]string `json:",omitempty"`
	// Zone asks for the workflow's timezone for this contact (settings.timezone).
	Zone bool `json:",omitempty"`
	// AppointmentID asks for that appointment of the contact.
	AppointmentID string `json:",omitempty"`
}

// Resolved answers a ResolveRequest.
type Resolved struct {
	Rendered    map[string]string `json:",omitempty"`
	Zone        string            `json:",omitempty"` // an IANA name
	Appointment *Appointment      `json:",omitempty"`
}

// Appointment is what an appointment wait reads of its appointment.
type Appointment struct {
	ID        string
	Found     bool
	Status    string
	StartTime time.Time
	// OtherContacts: not found because it is another contact's.
	OtherContacts bool `json:",omitempty"`
}

// DripRequest is what the drip coordinator of a step needs to know.
type DripRequest struct {
	BatchSize  int
	Interval   time.Duration
	TimeWindow *definition.TimeWindow `json:",omitempty"`
	Zone       string                 `json:",omitempty"`
}

// Goal is a kind that a run jumps to when one of its events arrives,
// wherever the contact is in the graph.
type Goal interface {
	GoalEvents(s *definition.Step) []EventMatcher
}

// Warner is a kind whose valid config may still not do what its author
// means (a wait that may never end): Warn adds each warning to p, which
// points at the step (steps[i]), like Validate. Warnings never block save
// or publish; the API answers them with the workflow (check.Warnings).
type Warner interface {
	Warn(p *validation.Problems, s *definition.Step)
}

// Communicator marks kinds that message the contact: settings.time_window
// holds them until the window opens.
type Communicator interface {
	Communicates() bool
}

var kinds = registry.New[Kind]("step")

// register adds a kind; each type's file calls it from init.
func register(k Kind) { kinds.Add(k) }

// Lookup returns the kind of a step type.
func Lookup(typ string) (Kind, bool) { return kinds.Lookup(typ) }

// Types lists the registered step types, sorted.
func Types() []string { return kinds.Types() }

// Planned are step types of the contract that this build does not run yet;
// saving one gets a clear message instead of "unknown".
var Planned = map[string]bool{}

// Referrer is a kind whose config names records of the account by id
// (users, pipelines, stages, workflows). Publishing refuses a reference to
// a record that does not exist, and deleting a record that a published
// workflow names is refused ("used by"). References runs on configs that
// Validate may have faulted: read them with readConfig. It lists literal
// ids only: a templated id is known when the step runs, and checked then.
type Referrer interface {
	References(s *definition.Step) []Reference
}

// Kinds of record a Reference names.
const (
	RefUser     = "user"
	RefPipeline = "pipeline"
	RefStage    = "stage"
	RefWorkflow = "workflow"
)

// Reference is a record of the account that a step's config names.
type Reference struct {
	Path string // relative to the step, e.g. "config.user_ids[1]"
	Kind string // RefUser, RefPipeline, RefStage or RefWorkflow
	ID   string
	// Pipeline is, for a stage, the pipeline the step names with it (a
	// literal id), which the stage must belong to; "" when none is named.
	Pipeline string
	// SelfFault, for a workflow reference, refuses the workflow's own id,
	// saying why (a workflow cannot add its contact to itself).
	SelfFault string
}

// References lists the records step s names; nil for kinds that name none.
func References(s *definition.Step) []Reference {
	k, ok := Lookup(s.Type)
	if !ok {
		return nil
	}
	if r, ok := k.(Referrer); ok {
		return r.References(s)
	}
	return nil
}

// literalRef appends a reference to id unless it is empty or a template.
func literalRef(refs []Reference, path, kind, id string) []Reference {
	id = strings.TrimSpace(id)
	if id == "" || template.IsTemplate(id) {
		return refs
	}
	return append(refs, Reference{Path: path, Kind: kind, ID: id})
}

// userRefs are the references of a config's user_ids list.
func userRefs(ids []string) []Reference {
	var refs []Reference
	for i, id := range ids {
		refs = literalRef(refs, fmt.Sprintf("config.user_ids[%d]", i), RefUser, id)
	}
	return refs
}

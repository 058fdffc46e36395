// Package steps holds the step types of the workflow graph: one file a type,
// with its config, its validation and how it runs. Action types (sends,
// record changes, webhooks) run as Temporal activities through Env; flow types
// (wait, if/else, goto, end) run inside the interpreter workflow through Runtime.
package steps

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/registry"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Kind is what every step type provides.
type Kind interface {
	Type() string
	// Validate checks the step's config; p points at the step (steps[i]).
	Validate(p *validation.Problems, s *definition.Step)
	// Targets lists the steps this one may go to besides its own next, with
	// the config path that names each, for graph checks.
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
}

// Runtime is what the interpreter offers flow steps.
type Runtime interface {
	// FirstMatch evaluates the conditions in order against fresh contact
	// data, the event and earlier outputs, and returns the first that holds, or -1.
	FirstMatch(ctx workflow.Context, s *definition.Step, conds []*condition.Node) (int, error)
	// Sleep waits durably for d, logging the step as waiting until then.
	Sleep(ctx workflow.Context, s *definition.Step, d time.Duration) error
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
var Planned = map[string]bool{
	"split": true, "goal": true,
	"add_to_workflow": true, "remove_from_workflow": true, "drip": true,
}

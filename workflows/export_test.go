package workflows

import "go.temporal.io/sdk/workflow"

// SetDripBudgets shrinks the drip coordinator's per-run budgets and its
// signal chunk so a test can make it continue as new, even in the middle of
// a batch; restore puts them back.
func SetDripBudgets(history, releases, chunk int) (restore func()) {
	h, r, c := dripHistoryBudget, dripReleaseBudget, dripSignalChunk
	dripHistoryBudget, dripReleaseBudget, dripSignalChunk = history, releases, chunk
	return func() { dripHistoryBudget, dripReleaseBudget, dripSignalChunk = h, r, c }
}

// WithoutFlowControlGuard runs the interpreter as if changeFlowControl had
// no GetVersion guard, until restore is called.
func WithoutFlowControlGuard() (restore func()) {
	saved := flowControlVersion
	flowControlVersion = func(workflow.Context) workflow.Version { return FlowControlLatest }
	return func() { flowControlVersion = saved }
}

// WithFlowControlVersion runs new enrollments at changeFlowControl version
// v, as runs started by older code do, until restore is called.
func WithFlowControlVersion(v workflow.Version) (restore func()) {
	saved := flowControlVersion
	flowControlVersion = func(workflow.Context) workflow.Version { return v }
	return func() { flowControlVersion = saved }
}

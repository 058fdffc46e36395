package steps

// Local actions run inside the workflow task that asked for them. When that
// task fails after they ran (a signal came in just as the run was about to
// complete, and Temporal refused the completion), Temporal runs the task
// again, and the local actions with it. So an action that completed for a
// visit is not run again: its logged result stands (activities.executeStep).
// Kinds whose result is more than their log row shows opt out here.

// Rerunnable is a local action whose result can't be read back from its
// log row (it ends the enrollment); running it again is harmless.
type Rerunnable interface {
	Rerunnable() bool
}

// RunsOnce reports whether a completed run of the action stands for every
// later attempt of the same visit.
func RunsOnce(k Kind) bool {
	a, isAction := k.(Action)
	if !isAction || a.Remote() {
		return false // remote actions have Temporal's own record of completion
	}
	r, ok := k.(Rerunnable)
	return !ok || !r.Rerunnable()
}

// Rerunnable: removing itself has no effect of its own to repeat, and its
// Exit is not in the log row.
func (removeFromWorkflow) Rerunnable() bool { return true }

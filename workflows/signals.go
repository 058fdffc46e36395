package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// SignalEvent delivers an event that happened to the contact (a reply, a
// tag, a payment...) to its running enrollments, so waits and goals can
// react to it. The payload is an Event.
const SignalEvent = "crmflow.event"

// maxKeptEvents bounds the events a run keeps (and carries across
// continue-as-new): enough for waits and goals to look back on, small
// enough that a chatty contact cannot bloat the history.
const maxKeptEvents = 50

// listen receives event signals for the whole run in a workflow goroutine
// (deterministic: it only appends to the run's state, in arrival order).
func (r *run) listen(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalEvent)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev Event
			if !ch.Receive(ctx, &ev) {
				return
			}
			r.keep(ev)
		}
	})
}

// drain takes the signals already delivered but not yet received, before
// the run continues as new, so none is lost between runs.
func (r *run) drain(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalEvent)
	for {
		var ev Event
		if !ch.ReceiveAsync(&ev) {
			return
		}
		r.keep(ev)
	}
}

func (r *run) keep(ev Event) {
	for _, have := range r.cursor.Events {
		if have.ID == ev.ID { // delivered twice (a sweep after a partial routing)
			return
		}
	}
	r.cursor.Events = append(r.cursor.Events, ev)
	if n := len(r.cursor.Events); n > maxKeptEvents {
		r.cursor.Events = r.cursor.Events[n-maxKeptEvents:]
	}
}

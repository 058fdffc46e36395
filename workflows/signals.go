package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// SignalEvent delivers an event that happened to the contact (a reply, a
// tag, a payment...) to its running enrollments, so waits and goals can
// react to it. The payload is an Event.
const SignalEvent = "crmflow.event"

// SignalRelease lets a run waiting in a drip step go on; the payload is the
// release key the run gave its coordinator (steps.Runtime.JoinDrip).
const SignalRelease = "crmflow.release"

// maxKeptEvents bounds the events a run keeps (and carries across
// continue-as-new): enough for waits and goals to look back on, small
// enough that a chatty contact cannot bloat the history.
const maxKeptEvents = 50

// listen receives signals for the whole run in workflow goroutines
// (deterministic: they only append to the run's state, in arrival order);
// waits look at that state when they wake.
func (r *run) listen(ctx workflow.Context) {
	events := workflow.GetSignalChannel(ctx, SignalEvent)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev Event
			if !events.Receive(ctx, &ev) {
				return
			}
			r.keep(ev)
		}
	})
	releases := workflow.GetSignalChannel(ctx, SignalRelease)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var key string
			if !releases.Receive(ctx, &key) {
				return
			}
			r.release(key)
		}
	})
}

// drain takes the signals already delivered but not yet received, before
// the run continues as new, so none is lost between runs.
func (r *run) drain(ctx workflow.Context) {
	events := workflow.GetSignalChannel(ctx, SignalEvent)
	for {
		var ev Event
		if !events.ReceiveAsync(&ev) {
			break
		}
		r.keep(ev)
	}
	releases := workflow.GetSignalChannel(ctx, SignalRelease)
	for {
		var key string
		if !releases.ReceiveAsync(&key) {
			break
		}
		r.release(key)
	}
}

func (r *run) keep(ev Event) {
	for _, have := range r.cursor.Events {
		if ev.ID != "" && have.ID == ev.ID { // delivered twice (a sweep after a partial routing)
			return
		}
	}
	r.cursor.LastSeq++
	ev.Seq = r.cursor.LastSeq
	r.cursor.Events = append(r.cursor.Events, ev)
	if n := len(r.cursor.Events); n > maxKeptEvents {
		r.cursor.Events = r.cursor.Events[n-maxKeptEvents:]
	}
}

func (r *run) release(key string) {
	if r.cursor.Releases == nil {
		r.cursor.Releases = map[string]bool{}
	}
	r.cursor.Releases[key] = true
}

// eventsAfter returns the kept events numbered after seq, oldest first.
func (r *run) eventsAfter(seq int) []Event {
	var out []Event
	for _, ev := range r.cursor.Events {
		if ev.Seq > seq {
			out = append(out, ev)
		}
	}
	return out
}

package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// interruption stops a wait for a reason of the interpreter's, not the
// step's: a goal was reached, the run moves to a newer version, or the run
// continues as new. Flow kinds return it unchanged; the main loop acts on it.
type interruption struct {
	kind  string // interruptGoal, interruptMigrate, interruptContinue
	goal  string // the goal step to jump to
	event Event  // the event that met it
}

const (
	interruptGoal     = "goal"
	interruptMigrate  = "migrate"
	interruptContinue = "continue-as-new"
)

func (i *interruption) Error() string { return "wait interrupted: " + i.kind }

// Wait is steps.Runtime.Wait: one durable timer for the deadline, woken by
// the signal goroutines (listen) whenever an event or a release arrives.
func (rt *runtime) Wait(ctx workflow.Context, s *definition.Step, spec steps.WaitSpec) (steps.WaitResult, error) {
	r := rt.r
	ws := r.beginWait(ctx, s)
	resumed := r.resumed
	r.resumed = false
	if resumed && ws.Event != nil && len(spec.Events) > 0 && r.flowVersion >= flowWaitKeepsItsEvent {
		ev := *ws.Event // the event that ended this wait before the run left it
		return steps.WaitResult{Event: &ev}, nil
	}
	in := RecordStepInput{Status: models.StepWaiting}
	if !spec.Until.IsZero() {
		in.Until = &spec.Until
	}
	if spec.Reason != "" {
		in.Output = map[string]any{"waiting_for": spec.Reason}
	}
	if err := r.record(ctx, s, in); err != nil {
		return steps.WaitResult{}, err
	}
	var timer workflow.Future
	if !spec.Until.IsZero() {
		d := spec.Until.Sub(workflow.Now(ctx))
		if d <= 0 {
			return steps.WaitResult{TimedOut: true}, nil
		}
		tctx, cancel := workflow.WithCancel(ctx)
		defer cancel() // an event ended the wait first: cancel the timer
		timer = workflow.NewTimer(tctx, d)
		r.cursor.Unwaited = 0
	}
	for {
		if moved, err := r.migrationAccepted(ctx); err != nil || moved {
			if err == nil {
				err = &interruption{kind: interruptMigrate}
			}
			return steps.WaitResult{}, err
		}
		if err := r.pollGoals(ctx, s); err != nil {
			return steps.WaitResult{}, err
		}
		for _, ev := range r.eventsAfter(ws.Seen) {
			ws.Seen = ev.Seq
			if r.flowVersion >= flowEventsLookedAt {
				if r.looked(ev.Seq) {
					continue // a wait before this one had it
				}
				r.lookAt(ev, spec.Events)
			}
			i, err := r.firstMatching(ctx, s, ev, spec.Events)
			if err != nil {
				return steps.WaitResult{}, err
			}
			if i >= 0 {
				if r.flowVersion >= flowWaitKeepsItsEvent {
					ws.Event = &ev
				}
				return steps.WaitResult{Event: &ev}, nil
			}
		}
		if spec.Signal != "" && r.cursor.Releases[spec.Signal] {
			delete(r.cursor.Releases, spec.Signal)
			return steps.WaitResult{Signal: true}, nil
		}
		if timer != nil && timer.IsReady() {
			if err := timer.Get(ctx, nil); err != nil {
				return steps.WaitResult{}, err
			}
			return steps.WaitResult{TimedOut: true}, nil
		}
		if r.overHistoryBudget(ctx) {
			return steps.WaitResult{}, &interruption{kind: interruptContinue}
		}
		r.cursor.Unwaited = 0
		r.waiting = true // a move is accepted only now (handleMigrations)
		err := workflow.Await(ctx, func() bool {
			return r.cursor.LastSeq > ws.Seen || r.cursor.LastSeq > r.cursor.GoalSeq || (timer != nil && timer.IsReady()) || r.migration != nil ||
				(spec.Signal != "" && r.cursor.Releases[spec.Signal])
		})
		r.waiting = false
		if err != nil {
			return steps.WaitResult{}, err
		}
	}
}

// beginWait returns the state of the wait of this visit of s, starting it
// if it is new (a run that continued as new, or moved version, keeps it).
func (r *run) beginWait(ctx workflow.Context, s *definition.Step) *WaitState {
	visit := r.cursor.Visits[s.ID]
	if w := r.cursor.Wait; w != nil && w.StepID == s.ID && w.Visit == visit {
		return w
	}
	seen := r.cursor.LastSeq
	if r.flowVersion >= flowEventsOfStepBefore {
		seen = r.cursor.PrevSeq
	}
	r.cursor.Wait = &WaitState{StepID: s.ID, Visit: visit, Started: workflow.Now(ctx), Seen: seen}
	return r.cursor.Wait
}

// looked: a wait looked at event seq already (Cursor.Looked).
func (r *run) looked(seq int) bool {
	return slices.Contains(r.cursor.Looked, seq)
}

// lookAt notes that the wait looks at ev, if it is of a type the wait
// waits for, forgetting the events no longer kept.
func (r *run) lookAt(ev Event, ms []steps.EventMatcher) {
	if !slices.ContainsFunc(ms, func(m steps.EventMatcher) bool { return m.MatchesType(ev) }) {
		return
	}
	oldest := r.cursor.Events[0].Seq
	r.cursor.Looked = slices.DeleteFunc(r.cursor.Looked, func(seq int) bool { return seq < oldest })
	r.cursor.Looked = append(r.cursor.Looked, ev.Seq)
}

// WaitStarted is steps.Runtime.WaitStarted.
func (rt *runtime) WaitStarted(ctx workflow.Context, s *definition.Step) time.Time {
	return rt.r.beginWait(ctx, s).Started
}

// Sleep waits durably for d (a wait with only a deadline).
func (rt *runtime) Sleep(ctx workflow.Context, s *definition.Step, d time.Duration) error {
	_, err := rt.Wait(ctx, s, steps.WaitSpec{Until: workflow.Now(ctx).Add(d)})
	return err
}

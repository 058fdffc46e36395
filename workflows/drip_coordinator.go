package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/steps"
)

// DripState is the coordinator's input, carried across continue-as-new.
type DripState struct {
	AccountID  string
	WorkflowID string
	StepID     string
	// Config is the latest join's: republishing may change the pace.
	Config steps.DripRequest
	// Queue holds the members waiting for a batch, first come first out.
	Queue []DripMember
	// Released are the most recently released keys (at most
	// maxDripReleased), so a late duplicate join does not queue again.
	Released []string
	// LastRelease is when the last batch began; the next begins one
	// Interval later. Zero (a new coordinator) releases at once.
	LastRelease time.Time
	// Owed is what is left of the batch begun at LastRelease when the run
	// continued as new in the middle of it.
	Owed int `json:",omitempty"`
}

// Budgets of one coordinator run before it continues as new (vars so tests
// can force it).
var (
	dripHistoryBudget = 1000
	dripReleaseBudget = 500
	// dripSignalChunk bounds the release signals in flight at once, so a
	// big batch cannot overshoot the history budget by much.
	dripSignalChunk = 100
)

const (
	// maxDripReleased bounds the released keys kept for deduplication: a
	// duplicate join comes from a retried activity, within minutes.
	maxDripReleased = 1000
	// minDripIdle is the least time an empty coordinator waits for joins
	// before it completes.
	minDripIdle = time.Minute
)

// DripCoordinator is DripWorkflow: the one queue of a drip step. It lets
// Config.BatchSize members go every Config.Interval, inside the time
// window, and completes after an idle interval (at least minDripIdle) with
// an empty queue. Completing then cannot break the pace: the next join
// starts a new coordinator, which releases its first batch at once, as this
// one would have, its last release being an interval ago.
func DripCoordinator(ctx workflow.Context, in DripState) error {
	c := &coordinator{st: in, joins: workflow.GetSignalChannel(ctx, SignalDripJoin),
		queued: map[string]bool{}, released: map[string]bool{}, emptySince: workflow.Now(ctx)}
	for _, m := range in.Queue {
		c.queued[m.Key] = true
	}
	for _, k := range in.Released {
		c.released[k] = true
	}
	return c.run(ctx)
}

type coordinator struct {
	st    DripState
	joins workflow.ReceiveChannel
	// queued and released index st.Queue and st.Released by key, for
	// lookups only: order always comes from the slices.
	queued, released map[string]bool
	releasedThisRun  int
	// emptySince is when the queue last became empty (or the run began):
	// the idle time counts from there.
	emptySince time.Time
}

func (c *coordinator) run(ctx workflow.Context) error {
	var timer workflow.Future
	var timerAt time.Time
	cancelTimer := func() {}
	for {
		c.drain()
		if ctx.Err() != nil {
			return c.flush(ctx)
		}
		if c.st.Owed > 0 { // a batch begun before continue-as-new
			if err := c.release(ctx); err != nil {
				return err
			}
		}
		if c.budgetSpent(ctx) {
			return c.continueAsNew(ctx)
		}
		now := workflow.Now(ctx)
		at, idle := c.next(now)
		if !at.After(now) {
			if idle {
				return nil // drained just above: no join is pending in this task
			}
			c.st.Owed, c.st.LastRelease = c.batchSize(), now
			if err := c.release(ctx); err != nil {
				return err
			}
			continue
		}
		// A join that changes nothing about the next release keeps the timer,
		// so a busy drip does not add two timer events per join.
		if timer == nil || !at.Equal(timerAt) {
			cancelTimer()
			tctx, cancel := workflow.WithCancel(ctx)
			timer, timerAt, cancelTimer = workflow.NewTimer(tctx, at.Sub(now)), at, cancel
		}
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) { timer, cancelTimer = nil, func() {} })
		sel.AddReceive(c.joins, func(ch workflow.ReceiveChannel, _ bool) {
			var j DripJoin
			ch.Receive(ctx, &j)
			c.join(j)
		})
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
	}
}

// next is when the coordinator acts next: the next release, or, with an
// empty queue, the end of the idle time.
func (c *coordinator) next(now time.Time) (at time.Time, idle bool) {
	if len(c.st.Queue) == 0 {
		return c.emptySince.Add(max(c.st.Config.Interval, minDripIdle)), true
	}
	at = now
	if !c.st.LastRelease.IsZero() {
		if due := c.st.LastRelease.Add(max(c.st.Config.Interval, 0)); due.After(at) {
			at = due
		}
	}
	if w := c.st.Config.TimeWindow; w != nil {
		at = calendar.NextOpening(*w, calendar.Zone(c.st.Config.Zone, "", ""), at)
	}
	return at, false
}

func (c *coordinator) batchSize() int { return max(c.st.Config.BatchSize, 1) }

// join queues a member once; its config becomes the coordinator's.
func (c *coordinator) join(j DripJoin) {
	c.st.Config = j.Config
	k := j.Member.Key
	if k == "" || j.Member.RunWorkflowID == "" || c.queued[k] || c.released[k] {
		return
	}
	c.queued[k] = true
	c.st.Queue = append(c.st.Queue, j.Member)
}

// drain takes every join already delivered, without blocking.
func (c *coordinator) drain() {
	for {
		var j DripJoin
		if !c.joins.ReceiveAsync(&j) {
			return
		}
		c.join(j)
	}
}

// release signals members from the head of the queue until Owed of them
// got their signal or the queue is empty. A member whose run is gone (the
// signal fails: the enrollment ended or was cancelled) does not count, so
// the next one takes its slot. It stops early, Owed carrying the rest into
// the next run, when the run should continue as new.
func (c *coordinator) release(ctx workflow.Context) error {
	for c.st.Owed > 0 && !c.budgetSpent(ctx) {
		c.drain() // joins that came while signalling fill this batch too
		if len(c.st.Queue) == 0 {
			break
		}
		n := min(c.st.Owed, len(c.st.Queue), dripSignalChunk)
		chunk := append([]DripMember(nil), c.st.Queue[:n]...)
		c.st.Queue = c.st.Queue[n:]
		sent := make([]workflow.Future, n)
		for i, m := range chunk {
			delete(c.queued, m.Key)
			sent[i] = workflow.SignalExternalWorkflow(ctx, m.RunWorkflowID, "", SignalRelease, m.Key)
		}
		var failed []DripMember
		for i, f := range sent {
			if err := f.Get(ctx, nil); err != nil {
				failed = append(failed, chunk[i])
				continue // run gone: its slot goes to the next member
			}
			c.st.Owed--
			c.releasedThisRun++
			c.remember(chunk[i].Key)
		}
		if ctx.Err() != nil { // the signals may have failed for that: try them again
			c.st.Queue = append(failed, c.st.Queue...)
			return c.flush(ctx)
		}
	}
	if len(c.st.Queue) == 0 {
		c.st.Owed = 0
		c.emptySince = workflow.Now(ctx)
	}
	return nil
}

func (c *coordinator) remember(key string) {
	c.released[key] = true
	c.st.Released = append(c.st.Released, key)
	if n := len(c.st.Released) - maxDripReleased; n > 0 {
		for _, k := range c.st.Released[:n] {
			delete(c.released, k)
		}
		c.st.Released = append([]string(nil), c.st.Released[n:]...)
	}
}

func (c *coordinator) budgetSpent(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > dripHistoryBudget ||
		c.releasedThisRun >= dripReleaseBudget
}

func (c *coordinator) continueAsNew(ctx workflow.Context) error {
	c.drain() // joins delivered but not received would be lost with this run
	return workflow.NewContinueAsNewError(ctx, DripWorkflow, c.st)
}

// flush ends a cancelled coordinator (support staff cancelled it in the Web
// UI) by letting its whole queue go at once: its members wait for nothing
// else, and nobody would release them later.
func (c *coordinator) flush(ctx workflow.Context) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	c.drain()
	for len(c.st.Queue) > 0 {
		n := min(len(c.st.Queue), dripSignalChunk)
		sent := make([]workflow.Future, n)
		for i, m := range c.st.Queue[:n] {
			sent[i] = workflow.SignalExternalWorkflow(dctx, m.RunWorkflowID, "", SignalRelease, m.Key)
		}
		c.st.Queue = c.st.Queue[n:]
		for _, f := range sent {
			_ = f.Get(dctx, nil) // a run that is gone needs no release
		}
		c.drain()
	}
	return ctx.Err()
}

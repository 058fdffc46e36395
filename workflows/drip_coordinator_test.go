package workflows_test

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/steps"
)

// dripRelease is one release signal the coordinator sent.
type dripRelease struct {
	Key string
	At  time.Time
}

func (r dripRelease) String() string { return r.Key + "@" + r.At.UTC().Format("01-02T15:04") }

// dripRig runs coordinators in the SDK's test environment; release
// signals go to a mock that records them, or fails them for runs that are
// gone. It follows continue-as-new into fresh runs, as the server would.
type dripRig struct {
	t        *testing.T
	mu       sync.Mutex
	released []dripRelease
	gone     map[string]bool // RunWorkflowIDs whose run has ended
	attempts []string        // keys of every release signal, sent or failed
	runs     int
	// onRelease runs as a key is released, while the coordinator waits for
	// the signal to go through.
	onRelease map[string]func(env *testsuite.TestWorkflowEnvironment)
}

func newDripRig(t *testing.T) *dripRig { return &dripRig{t: t, gone: map[string]bool{}} }

func (r *dripRig) env(start time.Time) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.DripCoordinator, workflow.RegisterOptions{Name: workflows.DripWorkflow})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.SignalRelease, mock.Anything).Return(
		func(_, workflowID, _, _ string, arg any) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.attempts = append(r.attempts, arg.(string))
			if r.gone[workflowID] {
				return errors.New("workflow execution not found")
			}
			r.released = append(r.released, dripRelease{Key: arg.(string), At: env.Now()})
			if f := r.onRelease[arg.(string)]; f != nil {
				f(env)
			}
			return nil
		})
	return env
}

// run executes a coordinator from state, following continue-as-new;
// setup schedules joins on each run's environment (run counts from 1).
func (r *dripRig) run(start time.Time, state workflows.DripState, setup func(env *testsuite.TestWorkflowEnvironment, run int)) (end time.Time, carried []workflows.DripState) {
	r.t.Helper()
	for {
		r.runs++
		env := r.env(start)
		if setup != nil {
			setup(env, r.runs)
		}
		env.ExecuteWorkflow(workflows.DripWorkflow, state)
		if !env.IsWorkflowCompleted() {
			r.t.Fatal("the coordinator did not complete")
		}
		var can *workflow.ContinueAsNewError
		err := env.GetWorkflowError()
		if !errors.As(err, &can) {
			if err != nil {
				r.t.Fatalf("coordinator error: %v", err)
			}
			return env.Now(), carried
		}
		state = workflows.DripState{}
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &state); err != nil {
			r.t.Fatal(err)
		}
		carried = append(carried, state)
		start = env.Now()
	}
}

func (r *dripRig) want(want ...dripRelease) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	// A batch's signals go out together: their order within it is the mock's.
	sort.SliceStable(r.released, func(i, j int) bool {
		a, b := r.released[i], r.released[j]
		return a.At.Before(b.At) || a.At.Equal(b.At) && a.Key < b.Key
	})
	if fmt.Sprint(r.released) != fmt.Sprint(want) {
		r.t.Errorf("releases\n got %v\nwant %v", r.released, want)
	}
	for i := range want {
		if i < len(r.released) && !r.released[i].At.Equal(want[i].At) {
			r.t.Errorf("release %d at %v, want %v", i, r.released[i].At, want[i].At)
		}
	}
}

func member(name string) workflows.DripMember {
	return workflows.DripMember{RunWorkflowID: "enroll/wf/" + name, EnrollmentID: name, Key: name + "/drip/1"}
}

func joinAt(env *testsuite.TestWorkflowEnvironment, after time.Duration, cfg steps.DripRequest, names ...string) {
	env.RegisterDelayedCallback(func() {
		for _, n := range names {
			env.SignalWorkflow(workflows.SignalDripJoin, workflows.DripJoin{Member: member(n), Config: cfg})
		}
	}, after)
}

func rel(name string, at time.Time) dripRelease { return dripRelease{Key: name + "/drip/1", At: at} }

var dripT0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

func dripStart(cfg steps.DripRequest) workflows.DripState {
	return workflows.DripState{AccountID: "acct", WorkflowID: "wf", StepID: "drip", Config: cfg}
}

func TestDripReleasesBatchSizeEveryIntervalThenCompletes(t *testing.T) {
	cfg := steps.DripRequest{BatchSize: 2, Interval: time.Hour}
	r := newDripRig(t)
	end, _ := r.run(dripT0, dripStart(cfg), func(env *testsuite.TestWorkflowEnvironment, _ int) {
		joinAt(env, 0, cfg, "m1", "m2", "m3", "m4", "m5")
	})
	h := time.Hour
	r.want(rel("m1", dripT0), rel("m2", dripT0), rel("m3", dripT0.Add(h)), rel("m4", dripT0.Add(h)), rel("m5", dripT0.Add(2*h)))
	// Idle for one interval after the last batch, then done: a join after
	// that starts a new coordinator, which may release at once.
	if want := dripT0.Add(3 * h); !end.Equal(want) {
		t.Errorf("the coordinator completed at %v, want %v (one interval after its last release)", end, want)
	}
}

func TestDripJoinsOnceAndTheLatestConfigWins(t *testing.T) {
	cfg := steps.DripRequest{BatchSize: 1, Interval: time.Hour}
	slower := steps.DripRequest{BatchSize: 1, Interval: 2 * time.Hour} // republished
	r := newDripRig(t)
	r.run(dripT0, dripStart(cfg), func(env *testsuite.TestWorkflowEnvironment, _ int) {
		joinAt(env, 0, cfg, "m1", "m1", "m2") // a retried join
		joinAt(env, 30*time.Minute, cfg, "m2")
		joinAt(env, 90*time.Minute, slower, "m1", "m3") // m1 was released already
	})
	// m2 at 1h; then the republished 2h interval: m3 at 3h, not 2h.
	r.want(rel("m1", dripT0), rel("m2", dripT0.Add(time.Hour)), rel("m3", dripT0.Add(3*time.Hour)))
}

func TestDripSkipsAMemberWhoseRunIsGoneWithoutUsingASlot(t *testing.T) {
	cfg := steps.DripRequest{BatchSize: 2, Interval: time.Hour}
	r := newDripRig(t)
	r.gone["enroll/wf/m2"] = true // cancelled while queued
	r.run(dripT0, dripStart(cfg), func(env *testsuite.TestWorkflowEnvironment, _ int) {
		joinAt(env, 0, cfg, "m0")
		joinAt(env, 10*time.Minute, cfg, "m1", "m2", "m3", "m4")
	})
	h := time.Hour
	r.want(rel("m0", dripT0), rel("m1", dripT0.Add(h)), rel("m3", dripT0.Add(h)), rel("m4", dripT0.Add(2*h)))
	if got := strings.Join(r.attempts, ","); !strings.Contains(got, "m2/drip/1") {
		t.Errorf("release attempts %s: m2 was never tried", got)
	}
}

func TestDripReleasesOnlyInsideTheTimeWindowAcrossDST(t *testing.T) {
	// 09:00-17:00 New York every day; the clocks spring forward on Sunday
	// 2026-03-08, so Saturday's 09:00 is 14:00Z and Sunday's 13:00Z.
	cfg := steps.DripRequest{BatchSize: 1, Interval: 4 * time.Hour, Zone: "America/New_York",
		TimeWindow: &definition.TimeWindow{Start: "09:00", End: "17:00"}}
	start := time.Date(2026, 3, 7, 21, 0, 0, 0, time.UTC) // Saturday 16:00 EST
	r := newDripRig(t)
	r.run(start, dripStart(cfg), func(env *testsuite.TestWorkflowEnvironment, _ int) {
		joinAt(env, 0, cfg, "m1", "m2", "m3", "m4")
	})
	r.want(
		rel("m1", start), // inside: at once
		rel("m2", time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)), // due 20:00 EST, held to Sunday 09:00 EDT
		rel("m3", time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC)), // 13:00 EDT
		rel("m4", time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)), // due 17:00 EDT, the end: Monday 09:00
	)
	ny, _ := time.LoadLocation("America/New_York")
	for _, x := range r.released {
		if wall := x.At.In(ny); wall.Hour() < 9 || wall.Hour() >= 17 {
			t.Errorf("%s released at %v New York time, outside 09:00-17:00", x.Key, wall)
		}
	}
}

func TestDripContinuesAsNewCarryingItsQueueAndPace(t *testing.T) {
	defer workflows.SetDripBudgets(1000, 1, 1)() // one release per run, one signal at a time
	cfg := steps.DripRequest{BatchSize: 2, Interval: time.Hour}
	r := newDripRig(t)
	// m6 joins while m1 is being released, just before the run ends.
	r.onRelease = map[string]func(*testsuite.TestWorkflowEnvironment){"m1/drip/1": func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(workflows.SignalDripJoin, workflows.DripJoin{Member: member("m6"), Config: cfg})
	}}
	_, carried := r.run(dripT0, dripStart(cfg), func(env *testsuite.TestWorkflowEnvironment, run int) {
		if run == 1 {
			joinAt(env, 0, cfg, "m1", "m2", "m3", "m4", "m5")
		}
		if run == 3 {
			joinAt(env, 30*time.Minute, cfg, "m1") // released two runs ago
		}
	})
	// Every batch spans two runs; the batches stay whole and the pace holds.
	h := time.Hour
	r.want(rel("m1", dripT0), rel("m2", dripT0), rel("m3", dripT0.Add(h)), rel("m4", dripT0.Add(h)),
		rel("m5", dripT0.Add(2*h)), rel("m6", dripT0.Add(2*h)))
	if len(carried) != 6 {
		t.Fatalf("continued as new %d times, want one per release", len(carried))
	}
	first := carried[0]
	var keys []string
	for _, m := range first.Queue {
		keys = append(keys, m.EnrollmentID)
	}
	if strings.Join(keys, ",") != "m2,m3,m4,m5,m6" {
		t.Errorf("the first continue-as-new carried queue %v, want m2..m6", keys)
	}
	if !first.LastRelease.Equal(dripT0) || first.Owed != 1 || strings.Join(first.Released, ",") != "m1/drip/1" || first.Config != cfg {
		t.Errorf("the first continue-as-new carried %+v", first)
	}
}

func TestDripCancelledLetsItsQueueGo(t *testing.T) {
	cfg := steps.DripRequest{BatchSize: 1, Interval: 24 * time.Hour}
	r := newDripRig(t)
	env := r.env(dripT0)
	joinAt(env, 0, cfg, "m1", "m2", "m3")
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(workflows.DripWorkflow, dripStart(cfg))
	if env.GetWorkflowError() == nil {
		t.Error("a cancelled coordinator completed without error")
	}
	r.want(rel("m1", dripT0), rel("m2", dripT0.Add(time.Hour)), rel("m3", dripT0.Add(time.Hour)))
}

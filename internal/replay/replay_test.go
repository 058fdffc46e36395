package replay_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/internal/replay"
	"github.com/crmflow/crmflow/workflows"
)

func recorded(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../workflows/testdata/histories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in workflows/testdata/histories (%v)", err)
	}
	return files
}

func TestRecordedHistoriesReplay(t *testing.T) {
	for _, f := range recorded(t) {
		h, err := replay.File(f)
		if err != nil {
			t.Fatal(err)
		}
		if r := (replay.Checker{}).Replay(f, h); !r.OK() || r.String() != f+": OK" {
			t.Errorf("got %q, want OK", r)
		}
	}
}

// nondeterministic runs the real interpreter but, once the run's clock has
// passed its first second (the recorded runs wait 1s at step s2), starts an
// extra timer: the kind of change a deploy must not make to runs in flight.
func nondeterministic(ctx workflow.Context, in workflows.Input) error {
	started := workflow.Now(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.Await(ctx, func() bool { return workflow.Now(ctx).Sub(started) >= time.Second })
		workflow.NewTimer(ctx, time.Hour)
	})
	return workflows.Interpret(ctx, in)
}

func TestNondeterminismIsReportedNearItsStep(t *testing.T) {
	f := filepath.Join("../../workflows/testdata/histories", "quickstart-with-email.json")
	h, err := replay.File(f)
	if err != nil {
		t.Fatal(err)
	}
	r := replay.Checker{Workflow: nondeterministic}.Replay(f, h)
	if r.OK() {
		t.Fatal("a nondeterministic interpreter replayed a recorded history")
	}
	// The wait (s2) ends in the task that then runs s3 (if_else) and
	// schedules s4 (send_email): the first step that task scheduled.
	if r.Step.ID != "s4" || r.Step.Type != "send_email" || r.EventID == 0 {
		t.Errorf("located at event %d, step %+v; want step s4 (send_email)", r.EventID, r.Step)
	}
	line := r.String()
	if !strings.Contains(line, "FAILED at event ") || !strings.Contains(line, "near step s4 (send_email)") {
		t.Errorf("report line %q", line)
	}
	t.Log(line)
}

func TestAChangeInTheFirstTaskIsReportedAtTheStartStep(t *testing.T) {
	// The start step of the recorded workflows that do not start at s1.
	starts := map[string]string{"drip-add-remove": "dr", "flow-every-mode": "d1"}
	for _, f := range recorded(t) {
		h, err := replay.File(f)
		if err != nil {
			t.Fatal(err)
		}
		if h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName() != workflows.InterpretWorkflow {
			continue // a drip coordinator: no steps of its own
		}
		changed := func(ctx workflow.Context, in workflows.Input) error {
			return workflow.Sleep(ctx, time.Second) // different commands from the first task on
		}
		want := "s1"
		for prefix, start := range starts {
			if strings.HasPrefix(filepath.Base(f), prefix) {
				want = start
			}
		}
		r := replay.Checker{Workflow: changed}.Replay(f, h)
		if r.OK() || r.Step.ID != want {
			t.Errorf("%s: got %q, want FAILED near step %s", f, r, want)
		}
	}
}

func TestRunsQuery(t *testing.T) {
	q, err := replay.RunsQuery("01a2-wf", false)
	if err != nil || q != `CrmWorkflowId="01a2-wf"` {
		t.Errorf("all runs: %q, %v", q, err)
	}
	q, err = replay.RunsQuery("01a2-wf", true)
	if err != nil || q != `CrmWorkflowId="01a2-wf" AND ExecutionStatus="Failed"` {
		t.Errorf("failed runs: %q, %v", q, err)
	}
	if _, err := replay.RunsQuery(`x" OR CrmAccountId!="`, false); err == nil {
		t.Error("a quote in the id was accepted into the query")
	}
}

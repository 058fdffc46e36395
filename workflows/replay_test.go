package workflows_test

import (
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/internal/replay"
	"github.com/crmflow/crmflow/workflows"
)

// Histories recorded from real runs on the embedded server (see
// internal/app/histories_test.go) replay against the current interpreter:
// a change that alters the commands of runs already in flight fails here
// before it can break them in production. Guard such changes with
// workflow.GetVersion (versioning.go).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			// Through internal/replay: the code `crmflow replay` runs.
			if r := (replay.Checker{}).Replay(file, loadHistory(t, file)); !r.OK() {
				t.Fatal(r)
			}
		})
	}
}

// TestReplayDetectsAChangedInterpreter proves the replay test has teeth: an
// interpreter that skips the first step does not replay the recorded runs.
func TestReplayDetectsAChangedInterpreter(t *testing.T) {
	files, _ := filepath.Glob("testdata/histories/*.json")
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	changed := func(ctx workflow.Context, in workflows.Input) error {
		return workflow.Sleep(ctx, 1) // different commands from the first task on
	}
	if r := (replay.Checker{Workflow: changed}).Replay(files[0], loadHistory(t, files[0])); r.OK() {
		t.Fatal("a changed interpreter replayed a recorded history without error")
	}
}

func loadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	h, err := replay.File(file)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestFlowControlNeedsItsVersionGuard: a run recorded before time windows
// held texts (a window closed at the time, the text sent at once) replays
// only thanks to the changeFlowControl guard.
func TestFlowControlNeedsItsVersionGuard(t *testing.T) {
	file := "testdata/histories/before-flow-control-time-window.json"
	restore := workflows.WithoutFlowControlGuard()
	defer restore()
	if r := (replay.Checker{}).Replay(file, loadHistory(t, file)); r.OK() {
		t.Fatal("the history recorded before flow control replayed without its version guard: the guard proves nothing")
	}
}

// TestEventsLookedAtNeedsItsVersionGuard: the run recorded at flow-control
// version 2 woke its condition wait (c1) with the replies the event wait
// before it (e1) had looked at; version 3 does not, so that run replays
// only thanks to the guard.
func TestEventsLookedAtNeedsItsVersionGuard(t *testing.T) {
	file := "testdata/histories/flow-every-mode-flow-v2.json"
	restore := workflows.WithoutFlowControlGuard()
	defer restore()
	if r := (replay.Checker{}).Replay(file, loadHistory(t, file)); r.OK() {
		t.Fatal("the history recorded at flow-control version 2 replayed without its version guard: the guard proves nothing")
	}
}

// TestRecheckAtDeadlineNeedsItsVersionGuard: the run recorded at
// flow-control version 4 ended its appointment wait (a1) when the timer
// fired; version 5 reads the appointment again then, so that run replays
// only thanks to the guard.
func TestRecheckAtDeadlineNeedsItsVersionGuard(t *testing.T) {
	file := "testdata/histories/flow-every-mode-flow-v4.json"
	restore := workflows.WithoutFlowControlGuard()
	defer restore()
	if r := (replay.Checker{}).Replay(file, loadHistory(t, file)); r.OK() {
		t.Fatal("the history recorded at flow-control version 4 replayed without its version guard: the guard proves nothing")
	}
}

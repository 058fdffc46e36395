package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

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
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Interpret, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
			if err := r.ReplayWorkflowHistory(nil, loadHistory(t, file)); err != nil {
				t.Fatalf("replaying %s: %v", file, err)
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
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
	if err := r.ReplayWorkflowHistory(nil, loadHistory(t, files[0])); err == nil {
		t.Fatal("a changed interpreter replayed a recorded history without error")
	}
}

func loadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	return h
}

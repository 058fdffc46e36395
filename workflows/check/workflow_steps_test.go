package check

import (
	"strings"
	"testing"
)

func TestWorkflowStepsValidate(t *testing.T) {
	for _, step := range []string{
		`{"id":"a","type":"add_to_workflow","config":{"workflow_id":"wf1"},"next":"z"}`,
		`{"id":"a","type":"add_to_workflow","config":{"workflow_id":"{{contact.custom.next_workflow}}"},"next":"z"}`,
		`{"id":"a","type":"remove_from_workflow","next":"z"}`,
		`{"id":"a","type":"remove_from_workflow","config":{},"next":"z"}`,
		`{"id":"a","type":"remove_from_workflow","config":{"workflow_id":"wf1"},"next":"z"}`,
	} {
		if f := faults(t, one(step)); len(f) != 0 {
			t.Errorf("%s: faults %v", step, f)
		}
	}
}

func TestWorkflowStepFaultsAreNamedByPath(t *testing.T) {
	cases := []struct{ name, step, path, contains string }{
		{"add without workflow", `{"id":"a","type":"add_to_workflow","config":{},"next":"z"}`, "steps[0].config.workflow_id", "required"},
		{"add blank workflow", `{"id":"a","type":"add_to_workflow","config":{"workflow_id":"  "},"next":"z"}`, "steps[0].config.workflow_id", "required"},
		{"add bad template", `{"id":"a","type":"add_to_workflow","config":{"workflow_id":"{{event.wf"},"next":"z"}`, "steps[0].config.workflow_id", "parse"},
		{"add number", `{"id":"a","type":"add_to_workflow","config":{"workflow_id":7},"next":"z"}`, "steps[0].config.workflow_id", "must be a string"},
		{"add unknown field", `{"id":"a","type":"add_to_workflow","config":{"workflow":"wf1"},"next":"z"}`, "steps[0].config.workflow", "unknown field"},
		{"remove bad template", `{"id":"a","type":"remove_from_workflow","config":{"workflow_id":"{% if %}"},"next":"z"}`, "steps[0].config.workflow_id", ""},
		{"remove unknown field", `{"id":"a","type":"remove_from_workflow","config":{"workflow_ids":["wf1"]},"next":"z"}`, "steps[0].config.workflow_ids", "unknown field"},
	}
	for _, c := range cases {
		f := faults(t, one(c.step))
		msg, ok := f[c.path]
		if !ok {
			t.Errorf("%s: no fault at %s; got %v", c.name, c.path, f)
			continue
		}
		if !strings.Contains(msg, c.contains) {
			t.Errorf("%s: %s = %q, want it to mention %q", c.name, c.path, msg, c.contains)
		}
	}
}

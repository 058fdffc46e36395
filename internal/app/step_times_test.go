package app

import (
	"encoding/json"
	"sort"
	"testing"
	"time"
)

// TestStepTimesFollowEachOtherOnTheEmbeddedServer: each step's log row ends
// before the next one starts, on the real server. Its add_tag steps signal
// the run itself (contact_tag_added), so the workflow task that ran the
// steps after the wait is run again, its local activities with it: the
// rows written again keep their first finish time.
func TestStepTimesFollowEachOtherOnTheEmbeddedServer(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var c, wf idOnly
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com"}, &c)
	if code := call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "times", "start": "a", "steps": [
		{"id": "a", "type": "add_tag", "config": {"tags": ["x"]}, "next": "w"},
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1s"}, "next": "g"},
		{"id": "g", "type": "goal", "config": {"events": [{"type": "customer_replied"}], "if_unmet": "continue"}, "next": "sp"},
		{"id": "sp", "type": "split", "config": {"paths": [{"name": "A", "percent": 50, "next": "m"}, {"name": "B", "percent": 50, "next": "m"}]}},
		{"id": "m", "type": "math", "config": {"operation": "add", "left": "1", "right": "2"}, "next": "gt"},
		{"id": "gt", "type": "goto", "config": {"step": "a2"}},
		{"id": "a2", "type": "add_tag", "config": {"tags": ["y"]}, "next": "u"},
		{"id": "u", "type": "wait", "config": {"mode": "until", "at": "{{contact.custom.renewal}} 09:00"}, "next": "a3"},
		{"id": "a3", "type": "add_tag", "config": {"tags": ["z"]}}
	]}`), &wf); code != 201 {
		t.Fatalf("saving the workflow: %d", code)
	}
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e idOnly
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": c.ID}, &e)
	waitFor(t, d, e.ID, "completed")
	var got struct {
		Steps []struct {
			StepID     string     `json:"step_id"`
			StartedAt  time.Time  `json:"started_at"`
			FinishedAt *time.Time `json:"finished_at"`
		} `json:"steps"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &got)
	if len(got.Steps) != 9 {
		t.Fatalf("execution log = %+v, want 9 steps", got.Steps)
	}
	sort.SliceStable(got.Steps, func(i, j int) bool { return got.Steps[i].StartedAt.Before(got.Steps[j].StartedAt) })
	for i, s := range got.Steps {
		if s.FinishedAt == nil || s.FinishedAt.Before(s.StartedAt) {
			t.Errorf("step %s started at %s, finished at %v", s.StepID, s.StartedAt.Format(time.StampMicro), s.FinishedAt)
			continue
		}
		if i+1 < len(got.Steps) && s.FinishedAt.After(got.Steps[i+1].StartedAt) {
			t.Errorf("step %s finished at %s, after the next step %s started at %s", s.StepID, s.FinishedAt.Format(time.StampMicro),
				got.Steps[i+1].StepID, got.Steps[i+1].StartedAt.Format(time.StampMicro))
		}
	}
}

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// TestDripReleasesEnrollmentsInBatchesOnTheEmbeddedServer enrolls six
// contacts into drip(batch 2, every 3s) -> add_tag and cancels one while it
// is queued: the other five complete in three batches at least 3s apart,
// and the cancelled one holds nobody up.
func TestDripReleasesEnrollmentsInBatchesOnTheEmbeddedServer(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "drip", "triggers": [], "start": "d", "steps": [
		{"id": "d", "type": "drip", "config": {"batch_size": 2, "interval": "3s"}, "next": "t"},
		{"id": "t", "type": "add_tag", "config": {"tags": ["dripped"]}}]}`), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	ids := make([]string, 6)
	for i := range ids {
		var c struct {
			ID string `json:"id"`
		}
		call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": fmt.Sprintf("C%d", i)}, &c)
		var e enrollmentView
		if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": c.ID}, &e); code != 201 {
			t.Fatalf("enroll: %d", code)
		}
		ids[i] = e.ID
	}
	// The fifth joins a queue that the first two batches (3s and more
	// apart) come before: cancel it while it waits there.
	cancelled := ids[4]
	waitFor(t, d, cancelled, "waiting")
	if code := call(t, d, "POST", "/v1/enrollments/"+cancelled+"/cancel", nil, nil); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	waitFor(t, d, cancelled, "exited")
	byRun := map[string]models.Enrollment{}
	for _, id := range ids {
		if id == cancelled {
			continue
		}
		waitFor(t, d, id, "completed")
		var e models.Enrollment
		if err := d.App.DB.First(&e, "id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		byRun[e.TemporalWorkflowID] = e
	}

	// The coordinator's own history says when each batch went out.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	coordinator := workflows.DripCoordinatorID(wf.ID, "d")
	type sent struct {
		run string
		at  time.Time
	}
	initiated := map[int64]sent{}
	var released []sent
	it := d.App.Temporal.GetWorkflowHistory(ctx, coordinator, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes(); a != nil {
			initiated[ev.GetEventId()] = sent{run: a.GetWorkflowExecution().GetWorkflowId(), at: ev.GetEventTime().AsTime()}
		}
		if a := ev.GetExternalWorkflowExecutionSignaledEventAttributes(); a != nil {
			released = append(released, initiated[a.GetInitiatedEventId()])
		}
	}
	if len(released) != 5 {
		t.Fatalf("the coordinator released %d runs, want the 5 not cancelled: %+v", len(released), released)
	}
	sort.Slice(released, func(i, j int) bool { return released[i].at.Before(released[j].at) })
	// A batch is the releases that follow its first by less than most of
	// the 3s interval (one workflow task, or a later round for a member that
	// was gone, which a loaded machine may delay by a second or more).
	var batches [][]sent
	for _, r := range released {
		if len(batches) == 0 || r.at.Sub(batches[len(batches)-1][0].at) >= 2500*time.Millisecond {
			batches = append(batches, nil)
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], r)
	}
	for i, b := range batches {
		t.Logf("batch %d at %s: %d released", i+1, b[0].at.Format("15:04:05.000"), len(b))
	}
	if len(batches) != 3 {
		t.Fatalf("released in %d batches, want 3: %+v", len(batches), batches)
	}
	for i, b := range batches {
		if len(b) > 2 {
			t.Errorf("batch %d released %d, more than batch_size 2", i+1, len(b))
		}
		if i > 0 {
			// The pace counts from each batch's workflow time; the events' own
			// timestamps come a few ms after it, by more or less each time.
			if gap := b[0].at.Sub(batches[i-1][0].at); gap < 3*time.Second-100*time.Millisecond {
				t.Errorf("batch %d went out %v after the one before, less than the 3s interval", i+1, gap)
			}
		}
		// Released means finished after, never before (the same clock).
		for _, r := range b {
			e, ok := byRun[r.run]
			if !ok {
				t.Errorf("released %s, which is not a completed enrollment", r.run)
				continue
			}
			if e.FinishedAt == nil || e.FinishedAt.Before(r.at) {
				t.Errorf("enrollment %s finished at %v, before its batch went out at %v", e.ID, e.FinishedAt, r.at)
			}
		}
	}

	// Support staff find the coordinator by the workflow's search attributes.
	desc, err := d.App.Temporal.DescribeWorkflowExecution(ctx, coordinator, "")
	if err != nil {
		t.Fatal(err)
	}
	attrs := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	for name, want := range map[string]string{enrollment.AttrWorkflowID.GetName(): wf.ID, enrollment.AttrAccountID.GetName(): byRun[released[0].run].AccountID} {
		var got string
		if p := attrs[name]; p != nil {
			_ = json.Unmarshal(p.GetData(), &got)
		}
		if got != want {
			t.Errorf("coordinator search attribute %s = %q, want %q", name, got, want)
		}
	}
}

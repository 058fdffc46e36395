package activities_test

import (
	"context"
	"slices"
	"testing"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
)

// A local action run again for the same visit (Temporal re-runs a workflow
// task that failed after its local activities ran) returns what it did the
// first time and does nothing more: a counter goes up once, and the tag it
// added is still reported as changed.
func TestALocalActionRunAgainForTheSameVisitDoesNothingMore(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Custom: map[string]any{"n": 1}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	count := f.input(`{"id": "n", "type": "math", "config": {"operation": "add", "left": "{{contact.custom.n}}", "right": "1", "target": "custom.n"}}`)
	tag := f.input(`{"id": "t", "type": "add_tag", "config": {"tags": ["vip"]}}`)
	for i := 0; i < 2; i++ {
		res, err := execute(t, a, count)
		if err != nil || res.Output["result"] != "2" {
			t.Fatalf("run %d of the count: %v %v", i+1, res.Output, err)
		}
		res, err = execute(t, a, tag)
		if changed, _ := res.Output["changed"].([]any); err != nil || !slices.Equal(changed, []any{"vip"}) {
			t.Fatalf("run %d of the tag: %v %v", i+1, res.Output, err)
		}
	}
	c, _ := f.cs.Get(context.Background(), f.account.ID, f.contact.ID)
	if c.Custom["n"] != "2" && c.Custom["n"] != 2.0 {
		t.Errorf("counter = %v after the same visit ran twice, want 2", c.Custom["n"])
	}
	// The next visit runs for real.
	count.Visit = 2
	if res, err := execute(t, a, count); err != nil || res.Output["result"] != "3" {
		t.Errorf("visit 2: %v %v", res.Output, err)
	}
}

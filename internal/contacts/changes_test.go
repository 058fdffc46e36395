package contacts

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

func TestDNDChangesRaiseContactDNDChanged(t *testing.T) {
	s, r, acct := setup(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, acct, Input{FirstName: ptr("Ada"), DND: &DND{SMS: ptr(true)}})
	// Setting the flag it already has, and an unrelated change, raise nothing for DND.
	s.Update(ctx, acct, c.ID, Input{DND: &DND{SMS: ptr(true)}, LastName: ptr("King")})
	s.Update(ctx, acct, c.ID, Input{DND: &DND{SMS: ptr(false), Email: ptr(true)}})
	var dnd []map[string]any
	for _, ev := range r.events {
		if ev.Type == "contact_dnd_changed" {
			dnd = append(dnd, ev.Data)
		}
	}
	if len(dnd) != 2 || dnd[0]["channel"] != "sms" || dnd[0]["dnd"] != false || dnd[1]["channel"] != "email" || dnd[1]["dnd"] != true {
		t.Errorf("contact_dnd_changed data = %v", dnd)
	}
}

// TestContactChangedFilters checks the "field changed" and "changed to"
// filters builders write against contact_changed, on the data as raised and
// as read back from the outbox (what the sweeper routes), and the trigger's
// config "fields".
func TestContactChangedFilters(t *testing.T) {
	s, r, acct := setup(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, acct, Input{FirstName: ptr("Ada"), Custom: map[string]any{"plan": "silver"}})
	if _, err := s.Update(ctx, acct, c.ID, Input{Custom: map[string]any{"plan": "gold"}}); err != nil {
		t.Fatal(err)
	}
	raised := r.events[len(r.events)-1]
	var stored models.Event
	if err := s.DB.Where("id = ?", raised.ID).First(&stored).Error; err != nil {
		t.Fatal(err)
	}
	leaf := func(field, op string, v any) *condition.Node { return &condition.Node{Field: field, Op: op, Value: v} }
	cases := []struct {
		name string
		n    *condition.Node
		want bool
	}{
		{"field changed", leaf("event.changed", "contains", "custom.plan"), true},
		{"other field not changed", leaf("event.changed", "contains", "email"), false},
		{"changed to", leaf("event.after.custom.plan", "is", "gold"), true},
		{"changed from", leaf("event.before.custom.plan", "is", "silver"), true},
		{"changed to something else", leaf("event.after.custom.plan", "is", "platinum"), false},
		{"both", &condition.Node{All: []*condition.Node{leaf("event.changed", "contains", "custom.plan"), leaf("event.after.custom.plan", "is", "gold")}}, true},
	}
	for _, data := range []struct {
		name string
		data map[string]any
	}{{"as raised", raised.Data}, {"from the outbox", stored.Data}} {
		scope := condition.MapScope{"event": data.data}
		for _, tc := range cases {
			if got := condition.Evaluate(tc.n, scope, time.Now()); got != tc.want {
				t.Errorf("%s, %s: got %v, want %v", data.name, tc.name, got, tc.want)
			}
		}
		for cfg, want := range map[string]bool{``: true, `{"fields": ["custom.plan"]}`: true,
			`{"fields": ["email", "first_name"]}`: false, `{"fields": ["email", "custom.plan"]}`: true} {
			tr := &definition.Trigger{ID: "t1", Type: "contact_changed", Config: json.RawMessage(cfg)}
			if got := triggers.Accepts(tr, data.data); got != want {
				t.Errorf("%s, config %s: accepts %v, want %v", data.name, cfg, got, want)
			}
		}
	}
}

package schedules

import (
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
)

func TestOnceInThePastIsRefusedUnlessAlreadyPublished(t *testing.T) {
	s := &Service{Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	def := &definition.Definition{Triggers: []definition.Trigger{
		*trig("contact_created", ``),
		{ID: "past", Type: "scheduler", Config: []byte(`{"frequency": "once", "at": "2026-05-01T09:00:00Z"}`)},
		{ID: "future", Type: "scheduler", Config: []byte(`{"frequency": "once", "at": "2026-07-01T09:00:00Z"}`)},
	}}
	errs := s.check(def, nil)
	if len(errs) != 1 || errs[0].Path != "triggers[1].config.at" {
		t.Fatalf("faults = %v", errs)
	}
	// A republish after it ran keeps the time it was published with.
	previous := []models.PublishedTrigger{{TriggerID: "past", Type: "scheduler",
		Definition: []byte(`{"id": "past", "type": "scheduler", "config": {"frequency": "once", "at": "2026-05-01T09:00:00Z"}}`)}}
	if errs := s.check(def, previous); errs != nil {
		t.Errorf("republish: %v", errs)
	}
}

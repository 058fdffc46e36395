package enrollment

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
)

// BenchmarkRoute routes a tag event in an account with n published
// workflows of the same trigger type, of which one can match. With the
// trigger index the cost per event should not grow with n.
//
//	go test -run '^$' -bench Route ./internal/enrollment/
func BenchmarkRoute(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("workflows=%d", n), func(b *testing.B) {
			f := newFixture(b)
			ctx := context.Background()
			wf := f.workflow(b, true, true) // matches tag "lead" (and re-enters, so each event works)
			rows := make([]models.PublishedTrigger, 0, n)
			for i := 0; i < n-1; i++ {
				t := definition.Trigger{ID: "t1", Type: "contact_tag_added",
					Filters: &condition.Node{All: []*condition.Node{{Field: "event.tag", Op: "is", Value: fmt.Sprintf("tag-%d", i)}}}}
				body, _ := json.Marshal(t)
				rows = append(rows, models.PublishedTrigger{ID: models.NewID(), AccountID: f.account, Type: t.Type,
					WorkflowID: models.NewID(), Version: 1, TriggerID: t.ID, Definition: body, MatchKey: condition.IndexKey(t.Filters)})
			}
			if err := f.db.CreateInBatches(rows, 500).Error; err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := models.NewID()
				ev := &models.Event{ID: id, AccountID: f.account, ExternalID: id, Type: "contact_tag_added", ContactID: f.contact,
					Data: map[string]any{"tag": "lead"}, OccurredAt: time.Now().UTC()}
				b.StopTimer()
				f.db.Create(ev)
				// let the previous entry finish so re-entry enrolls again
				f.db.Model(&models.Enrollment{}).Where("workflow_id = ?", wf).Update("status", models.EnrollmentCompleted)
				b.StartTimer()
				if err := f.svc.Route(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var enrolled int64
			f.db.Model(&models.Enrollment{}).Where("workflow_id = ?", wf).Count(&enrolled)
			if enrolled == 0 {
				b.Fatal("the matching workflow was never enrolled into")
			}
		})
	}
}

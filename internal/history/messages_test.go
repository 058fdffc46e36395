package history

import (
	"context"
	"testing"
	"time"

	"github.com/crmflow/crmflow/models"
)

// Inbound texts (kept by the Twilio webhook) are not sends: they count in
// no step's sent/delivered, and a reply is credited to the message we sent
// before it, not to the inbound message it is stored as.
func TestInboundMessagesAreNotSends(t *testing.T) {
	f := newFixture(t)
	a := f.contacts[0]
	f.run(t, a, 0, models.EnrollmentCompleted, "s1:completed")
	replyAt := f.t0.Add(time.Hour)
	inbound := func(enrollment, step, status string, at time.Time) {
		t.Helper()
		mustCreate(t, f.db, &models.Message{ID: models.NewID(), AccountID: f.acct, ContactID: a, EnrollmentID: enrollment,
			StepID: step, Channel: "sms", Direction: models.MessageInbound, From: "+14155550100", To: "+14155550000",
			Body: "yes", Status: status, Provider: "twilio", ProviderID: "SM" + models.NewID(), CreatedAt: at, UpdatedAt: at})
	}
	// The reply as the webhook stores it: same time as its event, no enrollment.
	inbound("", "", models.MessageReceived, replyAt)
	mustCreate(t, f.db, &models.Event{ID: models.NewID(), AccountID: f.acct, ExternalID: "SMreply", Type: "customer_replied",
		ContactID: a, Data: map[string]any{"channel": "sms", "body": "yes", "message_id": "SMreply"}, OccurredAt: replyAt})

	st, err := f.svc.Stats(context.Background(), StatsFilter{AccountID: f.acct, WorkflowID: f.wf})
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Messages["s1"]; m == nil || *m != (MessageStats{Sent: 1, Delivered: 1, Replied: 1}) {
		t.Errorf("messages[s1] = %+v, want the one send, delivered and replied to", m)
	}
}

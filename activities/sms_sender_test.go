package activities_test

import (
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/testservers"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
)

// TestSMSFromNumberOrMessagingService: a templated from renders to a
// national number that goes out in E.164; a messaging service SID (MG...)
// is sent as MessagingServiceSid with no From; the workflow's from_number
// applies when the step names none; media URLs make it an MMS.
func TestSMSFromNumberOrMessagingService(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123"), Custom: map[string]any{"line": "(415) 555-0100"}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	const service = "MG0123456789abcdef0123456789ABCDEF"
	for i, c := range []struct {
		config   string
		settings definition.Settings
	}{
		{`{"body": "a", "from": "{{contact.custom.line}}"}`, definition.Settings{}},
		{`{"body": "b", "from": "` + service + `", "media_urls": ["https://example.com/a.png", "https://example.com/b.png"]}`, definition.Settings{}},
		{`{"body": "c"}`, definition.Settings{Sender: definition.Sender{FromNumber: "415-555-0199"}}},
		{`{"body": "d", "from": "Acme"}`, definition.Settings{}},
	} {
		in := f.input(`{"id": "s1", "type": "send_sms", "config": ` + c.config + `}`)
		in.Visit, in.Settings = i+1, c.settings
		if _, err := execute(t, a, in); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	got := tw.Messages()
	if len(got) != 4 {
		t.Fatalf("Twilio received %d", len(got))
	}
	if got[0].From != "+14155550100" || got[0].MessagingServiceSID != "" {
		t.Errorf("templated from: %+v", got[0])
	}
	if got[1].From != "" || got[1].MessagingServiceSID != "MG0123456789abcdef0123456789abcdef" || len(got[1].MediaURLs) != 2 {
		t.Errorf("messaging service: %+v", got[1])
	}
	if got[2].From != "+14155550199" {
		t.Errorf("workflow from_number: %+v", got[2])
	}
	if got[3].From != "Acme" {
		t.Errorf("alphanumeric sender: %+v", got[3])
	}
	var rows []models.Message
	f.db.Order("id").Find(&rows)
	if len(rows) != 4 || rows[0].From != "+14155550100" || !strings.HasPrefix(rows[1].From, "MG") || rows[0].To != "+14155550123" {
		t.Errorf("ledger = %+v", rows)
	}
}

// TestSMSWithAnUnusableFromFailsForGood: a from that is no number, SID or
// sender ID fails the step without retries, naming config.from.
func TestSMSWithAnUnusableFromFailsForGood(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123"), Custom: map[string]any{"line": "12"}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	_, err := execute(t, a, f.input(`{"id": "s1", "type": "send_sms", "config": {"body": "x", "from": "{{contact.custom.line}}"}}`))
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "config.from") {
		t.Fatalf("err = %v, want a non-retryable failure naming config.from", err)
	}
	if n := len(tw.Messages()); n != 0 {
		t.Errorf("Twilio received %d", n)
	}
}

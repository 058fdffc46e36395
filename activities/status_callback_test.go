package activities_test

import (
	"testing"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/testservers"
)

// TestSMSCarriesStatusCallbackUnderPublicURL: with CRMFLOW_PUBLIC_URL set,
// Twilio is told where to report the delivery of each message; without it
// (Twilio could not reach us) no callback is asked for.
func TestSMSCarriesStatusCallbackUnderPublicURL(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123")})
	step := `{"id": "s1", "type": "send_sms", "config": {"body": "Hi"}}`
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw), PublicURL: "https://crm.example.com/"})
	if _, err := execute(t, a, f.input(step)); err != nil {
		t.Fatal(err)
	}
	plain := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	in := f.input(step)
	in.Visit = 2
	if _, err := execute(t, plain, in); err != nil {
		t.Fatal(err)
	}
	got := tw.Messages()
	if len(got) != 2 {
		t.Fatalf("Twilio received %d messages", len(got))
	}
	if want := "https://crm.example.com/v1/webhooks/twilio/" + f.account.ID + "/status"; got[0].StatusCallback != want {
		t.Errorf("StatusCallback = %q, want %q", got[0].StatusCallback, want)
	}
	if got[1].StatusCallback != "" {
		t.Errorf("without a public URL, StatusCallback = %q", got[1].StatusCallback)
	}
}

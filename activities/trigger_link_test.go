package activities_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/internal/triggerlinks"
	"github.com/crmflow/crmflow/models"
)

// TestTriggerLinkRendersTheContactsOwnURL sends an SMS whose body names a
// link of the account and a link of another account: the first renders as
// the contact's own tracked URL (which opens to the link and the contact),
// the second renders as nothing.
func TestTriggerLinkRendersTheContactsOwnURL(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Phone: ptr("+14155550123")})
	ctx := context.Background()
	links := &triggerlinks.Service{DB: f.db, Keys: &installkeys.Store{DB: f.db}}
	mine, err := links.Create(ctx, f.account.ID, triggerlinks.Input{Name: ptr("Offer"), DestinationURL: ptr("https://example.com/offer")})
	if err != nil {
		t.Fatal(err)
	}
	other := models.Account{ID: models.NewID(), Name: "Other", Timezone: "UTC"}
	f.db.Create(&other)
	theirs, err := links.Create(ctx, other.ID, triggerlinks.Input{Name: ptr("Theirs"), DestinationURL: ptr("https://evil.example/")})
	if err != nil {
		t.Fatal(err)
	}
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, TriggerLinks: links, LinkBaseURL: "https://crm.example.com"})
	step := `{"id": "s1", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}: {{trigger_link.` + mine.ID +
		`}} [{{trigger_link.` + theirs.ID + `}}]"}}`
	res, err := execute(t, a, f.input(step))
	if err != nil {
		t.Fatal(err)
	}
	var msg models.Message
	if err := f.db.Where("id = ?", res.Output["message_id"]).First(&msg).Error; err != nil {
		t.Fatalf("message of %+v: %v", res.Output, err)
	}
	m := regexp.MustCompile(`^Hi Ada: (https://crm\.example\.com/l/[A-Za-z0-9_-]{66}) \[\]$`).FindStringSubmatch(msg.Body)
	if m == nil {
		t.Fatalf("body = %q: want the contact's URL of the account's link and nothing for the other account's", msg.Body)
	}
	want, _ := links.URL(ctx, "https://crm.example.com", mine.ID, f.contact.ID)
	if m[1] != want {
		t.Errorf("rendered %s, want %s", m[1], want)
	}
	dest, ev, err := links.Click(ctx, strings.TrimPrefix(m[1], "https://crm.example.com/l/"))
	if err != nil || dest != "https://example.com/offer" || ev.ContactID != f.contact.ID {
		t.Errorf("opening the rendered URL: %q, %+v, %v", dest, ev, err)
	}
}

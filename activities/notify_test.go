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
)

func (f *fixture) user(t *testing.T, accountID, name, email, phone string) string {
	t.Helper()
	u := models.User{ID: models.NewID(), AccountID: accountID, Name: name, Email: email, Phone: phone}
	if err := f.db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestInternalNotificationEmailsEachUserOnce: two users get the rendered
// notification (not the contact); retrying the step sends nobody a second
// one; a user id may be a template.
func TestInternalNotificationEmailsEachUserOnce(t *testing.T) {
	srv := testservers.NewSMTP(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	bob := f.user(t, f.account.ID, "Bob", "bob@acme.test", "")
	cy := f.user(t, f.account.ID, "Cy", "cy@acme.test", "")
	if err := f.db.Model(&models.Contact{}).Where("id = ?", f.contact.ID).Update("assigned_user_id", cy).Error; err != nil {
		t.Fatal(err)
	}
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: smtpSender(t, srv, "crm@acme.test")})
	in := f.input(`{"id": "n1", "type": "internal_notification", "config": {"channel": "email",
		"user_ids": ["` + bob + `", "{{contact.assigned_user_id}}"], "subject": "New lead: {{contact.first_name}}", "body": "Call {{contact.first_name}} today."}}`)
	for i := 0; i < 2; i++ {
		res, err := execute(t, a, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Skipped || res.Output["sent"] != float64(2) {
			t.Fatalf("output = %+v", res)
		}
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("SMTP received %d mails, want 2", len(got))
	}
	to := map[string]bool{}
	for _, m := range got {
		to[m.To[0]] = true
		if m.Subject != "New lead: Ada" || !strings.Contains(m.Data, "Call Ada today.") {
			t.Errorf("mail = %+v", m)
		}
	}
	if !to["bob@acme.test"] || !to["cy@acme.test"] || to["ada@example.com"] {
		t.Errorf("recipients = %v", to)
	}
	var rows []models.Message
	f.db.Order("to_addr").Find(&rows)
	if len(rows) != 2 || rows[0].Status != models.MessageSent || rows[0].ContactID != f.contact.ID || *rows[0].IdempotencyKey != "enr1/n1/1/user/"+bob {
		t.Errorf("ledger = %+v", rows)
	}
}

// TestInternalNotificationBySMS texts the user through Twilio, and skips a
// user with no phone with the reason.
func TestInternalNotificationBySMS(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")}) // the contact has no phone: it is not texted
	bob := f.user(t, f.account.ID, "Bob", "", "+14155550111")
	nophone := f.user(t, f.account.ID, "Dee", "dee@acme.test", "")
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	res, err := execute(t, a, f.input(`{"id": "n1", "type": "internal_notification", "config": {"channel": "sms",
		"user_ids": ["`+bob+`", "`+nophone+`"], "body": "{{contact.first_name}} booked"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := tw.Messages()
	if len(got) != 1 || got[0].To != "+14155550111" || got[0].Body != "Ada booked" {
		t.Fatalf("Twilio got %+v", got)
	}
	msgs := res.Output["messages"].([]any)
	if res.Skipped || len(msgs) != 2 || msgs[1].(map[string]any)["status"] != models.MessageSkipped ||
		!strings.Contains(msgs[1].(map[string]any)["reason"].(string), "no phone") {
		t.Errorf("output = %+v", res.Output)
	}
}

// TestInternalNotificationToAnotherAccountsUserFailsForGood: a user id of
// another account (or none) fails the step without retries, and nobody is notified.
func TestInternalNotificationToAnotherAccountsUserFailsForGood(t *testing.T) {
	srv := testservers.NewSMTP(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	bob := f.user(t, f.account.ID, "Bob", "bob@acme.test", "")
	other := models.Account{ID: models.NewID(), Name: "Other", Timezone: "UTC"}
	f.db.Create(&other)
	theirs := f.user(t, other.ID, "Eve", "eve@other.test", "")
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: smtpSender(t, srv, "crm@acme.test")})
	_, err := execute(t, a, f.input(`{"id": "n1", "type": "internal_notification", "config": {"channel": "email",
		"user_ids": ["`+bob+`", "`+theirs+`"], "body": "hi"}}`))
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), theirs) || !strings.Contains(err.Error(), "config.user_ids") {
		t.Fatalf("err = %v, want a non-retryable failure naming the user", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("SMTP received %d", n)
	}
}

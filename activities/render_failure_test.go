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

// TestTemplateRenderErrorsFailForGood: a template that fails to render over
// the contact's data (text where a number goes, a division by zero) fails
// the step at once, naming the field, instead of being retried as if the
// failure were transient; nothing is sent and no tag is added.
func TestTemplateRenderErrorsFailForGood(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123"), Custom: map[string]any{"n": "abc"}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	for _, c := range []struct{ step, field string }{
		{`{"id": "s1", "type": "send_sms", "config": {"body": "{{ contact.custom.n | times: 2 }}"}}`, "config.body"},
		{`{"id": "s2", "type": "send_sms", "config": {"body": "{{ 1 | divided_by: 0 }}"}}`, "config.body"},
		{`{"id": "s3", "type": "add_tag", "config": {"tags": ["t{{ contact.custom.n | minus: 1 }}"]}}`, "config.tags"},
	} {
		_, err := execute(t, a, f.input(c.step))
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v, want a non-retryable failure naming %s", c.step, err, c.field)
		}
	}
	if n := len(tw.Messages()); n != 0 {
		t.Errorf("Twilio received %d", n)
	}
	var c models.Contact
	if err := f.db.Preload("Tags").First(&c, "id = ?", f.contact.ID).Error; err != nil {
		t.Fatal(err)
	}
	if len(c.Tags) != 0 {
		t.Errorf("tags = %v", c.Tags)
	}
}

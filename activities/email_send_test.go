package activities_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/internal/testservers"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
)

// mailParts decodes a received mail into its body parts by content type.
func mailParts(t *testing.T, data string) (mail.Header, map[string]string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		ct, params, err := mime.ParseMediaType(mail.Header(h).Get("Content-Type"))
		if err != nil {
			t.Fatalf("content type %q: %v", mail.Header(h).Get("Content-Type"), err)
		}
		if strings.HasPrefix(ct, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		if strings.EqualFold(mail.Header(h).Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(body)
		parts[ct] = string(b)
	}
	walk(m.Header, m.Body)
	return m.Header, parts
}

func smtpSender(t *testing.T, srv *testservers.SMTP, from string) *email.SMTP {
	t.Helper()
	m, err := email.NewSMTP(email.SMTPOptions{URL: srv.URL, From: from})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEmailIsTrackedAndGetsATextPart sends through the loopback SMTP
// server with tracking on: the HTML's links are wrapped, the pixel and the
// unsubscribe link point at the public URL, List-Unsubscribe is set, a
// text part is derived, and the ledger row keeps what was sent.
func TestEmailIsTrackedAndGetsATextPart(t *testing.T) {
	srv := testservers.NewSMTP(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	tracking := &emailtracking.Service{DB: f.db, Keys: &installkeys.Store{DB: f.db}, Contacts: f.cs}
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: smtpSender(t, srv, "Acme <hello@acme.test>"),
		EmailFrom: "hello@acme.test", EmailTracking: tracking, LinkBaseURL: "https://crm.example.com"})
	in := f.input(`{"id": "m1", "type": "send_email", "config": {"subject": "Hi {{contact.first_name}}",
		"body": "<p>Hello {{contact.first_name}}, <a href=\"https://example.com/offer\">see the offer</a>.</p><p><a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>"}}`)
	res, err := execute(t, a, in)
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("SMTP received %d mails", len(got))
	}
	hdr, parts := mailParts(t, got[0].Data)
	html, text := parts["text/html"], parts["text/plain"]
	link := regexp.MustCompile(`href="(https://crm\.example\.com/t/c/[A-Za-z0-9_-]+)"`).FindStringSubmatch(html)
	unsub := regexp.MustCompile(`href="(https://crm\.example\.com/t/u/[A-Za-z0-9_-]+)"`).FindStringSubmatch(html)
	if link == nil || unsub == nil || !strings.Contains(html, `<img src="https://crm.example.com/t/o/`) {
		t.Fatalf("HTML part not tracked: %s", html)
	}
	if !strings.HasPrefix(text, "Hello Ada, see the offer ("+link[1]+").") || !strings.Contains(text, "Unsubscribe ("+unsub[1]+")") {
		t.Errorf("text part = %q", text)
	}
	if hdr.Get("List-Unsubscribe") != "<"+unsub[1]+">" || hdr.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe = %q / %q", hdr.Get("List-Unsubscribe"), hdr.Get("List-Unsubscribe-Post"))
	}
	var row models.Message
	f.db.First(&row, "id = ?", res.Output["message_id"])
	if row.Body != html || row.From != "hello@acme.test" || row.Status != models.MessageSent || row.Provider != "smtp" {
		t.Errorf("ledger row: from %q, status %s, provider %q, body %q", row.From, row.Status, row.Provider, row.Body)
	}
	// The wrapped link opens to the original and is about this message.
	if dest, err := tracking.Click(context.Background(), strings.TrimPrefix(link[1], "https://crm.example.com/t/c/")); err != nil || dest != "https://example.com/offer" {
		t.Errorf("click: %q, %v", dest, err)
	}
	var clicks int64
	f.db.Model(&models.EmailInteraction{}).Where("message_id = ? AND kind = ?", row.ID, models.EmailClicked).Count(&clicks)
	if clicks != 1 {
		t.Errorf("clicks recorded on the message: %d", clicks)
	}
}

// TestEmailSenderComesFromStepThenSettingsThenSMTPFrom: the step's
// from_name/from_email win, then the workflow's sender settings, then SMTP_FROM.
func TestEmailSenderComesFromStepThenSettingsThenSMTPFrom(t *testing.T) {
	srv := testservers.NewSMTP(t)
	f := newFixture(t, contacts.Input{Email: ptr("ada@example.com")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: smtpSender(t, srv, "Default <default@acme.test>")})
	settings := definition.Settings{Sender: definition.Sender{FromName: "Team", FromEmail: "team@acme.test"}}
	for i, c := range []struct {
		config   string
		settings definition.Settings
		want     string
	}{
		{`{"subject": "s", "body": "<p>b</p>", "from_name": "{{contact.email}} desk", "from_email": "step@acme.test"}`, settings, `"ada@example.com desk" <step@acme.test>`},
		{`{"subject": "s", "body": "<p>b</p>"}`, settings, `"Team" <team@acme.test>`},
		{`{"subject": "s", "body": "<p>b</p>"}`, definition.Settings{}, `"Default" <default@acme.test>`},
	} {
		in := f.input(`{"id": "m1", "type": "send_email", "config": ` + c.config + `}`)
		in.Visit, in.Settings = i+1, c.settings
		if _, err := execute(t, a, in); err != nil {
			t.Fatal(err)
		}
		got := srv.Messages()
		if len(got) != i+1 {
			t.Fatalf("case %d: %d mails", i, len(got))
		}
		from, _ := mail.ParseAddress(got[i].Header.Get("From"))
		if from == nil || from.String() != c.want {
			t.Errorf("case %d: From = %q, want %s", i, got[i].Header.Get("From"), c.want)
		}
		if _, parts := mailParts(t, got[i].Data); parts["text/plain"] != "b" || parts["text/html"] != "<p>b</p>" {
			t.Errorf("case %d: parts = %q (tracking is off: no pixel, but a text part)", i, parts)
		}
	}
	// A from_email that renders to no address fails the step for good.
	in := f.input(`{"id": "m2", "type": "send_email", "config": {"subject": "s", "body": "b", "from_email": "{{contact.first_name}}nobody"}}`)
	_, err := execute(t, a, in)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "config.from_email") {
		t.Errorf("bad from_email: %v, want a non-retryable failure naming config.from_email", err)
	}
}

// TestEmailSkippedForDNDAndMissingAddress logs the reason, sends nothing.
func TestEmailSkippedForDNDAndMissingAddress(t *testing.T) {
	srv := testservers.NewSMTP(t)
	for _, c := range []struct {
		in     contacts.Input
		reason string
	}{
		{contacts.Input{Email: ptr("ada@example.com"), DND: &contacts.DND{Email: ptr(true)}}, "do-not-disturb on for email"},
		{contacts.Input{FirstName: ptr("NoMail")}, "no email address"},
	} {
		f := newFixture(t, c.in)
		a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: smtpSender(t, srv, "a@acme.test")})
		res, err := execute(t, a, f.input(`{"id": "m1", "type": "send_email", "config": {"subject": "s", "body": "b"}}`))
		if err != nil || !res.Skipped || !strings.Contains(res.Reason, c.reason) {
			t.Errorf("%+v, %v; want skipped: %s", res, err, c.reason)
		}
		var log models.StepExecution
		f.db.First(&log)
		if log.Status != models.StepSkipped {
			t.Errorf("log status = %s", log.Status)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("SMTP received %d", n)
	}
}

// lostMail sends for real, then reports the connection lost before the
// server's answer: what a timeout after the server took the mail looks like.
type lostMail struct{ email.Sender }

func (l lostMail) Send(ctx context.Context, m email.Message) (email.Result, error) {
	if _, err := l.Sender.Send(ctx, m); err != nil {
		return email.Result{}, err
	}
	return email.Result{}, &email.Error{Retryable: true, Message: "reading the reply to DATA", Err: io.ErrUnexpectedEOF}
}

// TestEmailWhoseAnswerWasLostIsNotSentAgainOnRetry: the ledger row stays
// "sending" after an ambiguous failure, and the retry sends nothing more.
func TestEmailWhoseAnswerWasLostIsNotSentAgainOnRetry(t *testing.T) {
	srv := testservers.NewSMTP(t)
	f := newFixture(t, contacts.Input{Email: ptr("ada@example.com")})
	in := f.input(`{"id": "m1", "type": "send_email", "config": {"subject": "once", "body": "<p>once</p>"}}`)
	flaky := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: lostMail{smtpSender(t, srv, "a@acme.test")}})
	if _, err := execute(t, flaky, in); err == nil {
		t.Fatal("the first attempt should fail")
	}
	healthy := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: smtpSender(t, srv, "a@acme.test")})
	res, err := execute(t, healthy, in)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("SMTP received %d mails, want 1", n)
	}
	var m models.Message
	f.db.First(&m, "id = ?", res.Output["message_id"])
	if m.Status != models.MessageSent || !strings.Contains(m.Error, "unconfirmed") {
		t.Errorf("ledger row = %s %q", m.Status, m.Error)
	}
}

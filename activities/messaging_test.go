package activities_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/internal/testservers"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
)

type fixture struct {
	db      *gorm.DB
	account models.Account
	contact *models.Contact
	cs      *contacts.Service
}

func newFixture(t *testing.T, in contacts.Input) *fixture {
	t.Helper()
	db := testdb.Open(t)
	f := &fixture{db: db, account: models.Account{ID: models.NewID(), Name: "Acme", Timezone: "UTC"}, cs: &contacts.Service{DB: db}}
	if err := db.Create(&f.account).Error; err != nil {
		t.Fatal(err)
	}
	c, err := f.cs.Create(context.Background(), f.account.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	f.contact = c
	return f
}

func (f *fixture) input(step string) workflows.StepInput {
	var s definition.Step
	if err := json.Unmarshal([]byte(step), &s); err != nil {
		panic(err)
	}
	return workflows.StepInput{
		Run:  workflows.RunRef{AccountID: f.account.ID, WorkflowID: "wf1", Version: 1, ContactID: f.contact.ID, EnrollmentID: "enr1"},
		Step: s, Visit: 1, StartedAt: time.Now(),
	}
}

func execute(t *testing.T, a *activities.Activities, in workflows.StepInput) (workflows.StepResult, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a.Register(env)
	val, err := env.ExecuteActivity(workflows.ActivityExecuteStep, in)
	var res workflows.StepResult
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

func ptr[T any](v T) *T { return &v }

func twilioSender(t *testing.T, tw *testservers.Twilio) *sms.Twilio {
	s, err := sms.NewTwilio(sms.TwilioOptions{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: "+15005550006", BaseURL: tw.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMSThroughTwilioIsSentOncePerVisitAcrossRetries(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Phone: ptr("(415) 555-0123")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	in := f.input(`{"id": "s1", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}", "media_urls": ["https://example.com/a.png"]}}`)
	for i := 0; i < 3; i++ { // the same (run, step, visit) again: Temporal retrying
		res, err := execute(t, a, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["status"] != models.MessageSent || !strings.HasPrefix(res.Output["provider_id"].(string), "SM") {
			t.Fatalf("output = %v", res.Output)
		}
	}
	got := tw.Messages()
	if len(got) != 1 {
		t.Fatalf("Twilio received %d messages, want 1", len(got))
	}
	if got[0].To != "+14155550123" || got[0].Body != "Hi Ada" || got[0].From != "+15005550006" || len(got[0].MediaURLs) != 1 {
		t.Errorf("Twilio got %+v", got[0])
	}
	in.Visit = 2 // a loop coming back to the step sends again
	if _, err := execute(t, a, in); err != nil {
		t.Fatal(err)
	}
	if n := len(tw.Messages()); n != 2 {
		t.Errorf("after a second visit Twilio has %d messages, want 2", n)
	}
}

// lostAnswer sends for real, then reports the answer lost: what a timeout
// after Twilio accepted the message looks like to the activity.
type lostAnswer struct{ sms.Sender }

func (l lostAnswer) Send(ctx context.Context, m sms.Message) (sms.Result, error) {
	if _, err := l.Sender.Send(ctx, m); err != nil {
		return sms.Result{}, err
	}
	return sms.Result{}, &sms.Error{Retryable: true, Message: "reading response", Err: context.DeadlineExceeded}
}

func TestSMSWhoseAnswerWasLostIsNotSentAgainOnRetry(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123")})
	in := f.input(`{"id": "s1", "type": "send_sms", "config": {"body": "once"}}`)
	flaky := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: lostAnswer{twilioSender(t, tw)}})
	if _, err := execute(t, flaky, in); err == nil {
		t.Fatal("the first attempt should fail")
	}
	healthy := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	res, err := execute(t, healthy, in)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tw.Messages()); n != 1 {
		t.Fatalf("Twilio received %d messages, want 1", n)
	}
	var m models.Message
	f.db.First(&m, "id = ?", res.Output["message_id"])
	if m.Status != models.MessageSent || !strings.Contains(m.Error, "unconfirmed") {
		t.Errorf("ledger row = %s %q", m.Status, m.Error)
	}
}

func TestSMSRetriesAfterTwilio500AndFailsOnInvalidNumber(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	in := f.input(`{"id": "s1", "type": "send_sms", "config": {"body": "hello"}}`)
	tw.FailNext(1)
	if _, err := execute(t, a, in); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("first attempt: %v, want Twilio's 500", err)
	}
	if _, err := execute(t, a, in); err != nil {
		t.Fatalf("retry after a 500: %v", err)
	}
	if n := len(tw.Messages()); n != 1 {
		t.Errorf("Twilio received %d, want 1", n)
	}
}

func TestSMSSkippedForDNDAndMissingPhone(t *testing.T) {
	tw := testservers.NewTwilio(t)
	f := newFixture(t, contacts.Input{Phone: ptr("+14155550123"), DND: &contacts.DND{SMS: ptr(true)}})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, SMS: twilioSender(t, tw)})
	res, err := execute(t, a, f.input(`{"id": "s1", "type": "send_sms", "config": {"body": "x"}}`))
	if err != nil || !res.Skipped || !strings.Contains(res.Reason, "do-not-disturb") {
		t.Fatalf("res = %+v, %v", res, err)
	}
	g := newFixture(t, contacts.Input{FirstName: ptr("NoPhone")})
	a = activities.New(activities.Options{DB: g.db, Contacts: g.cs, SMS: twilioSender(t, tw)})
	res, err = execute(t, a, g.input(`{"id": "s1", "type": "send_sms", "config": {"body": "x"}}`))
	if err != nil || !res.Skipped || !strings.Contains(res.Reason, "no phone") {
		t.Fatalf("res = %+v, %v", res, err)
	}
	if n := len(tw.Messages()); n != 0 {
		t.Errorf("Twilio received %d", n)
	}
	var rows []models.StepExecution
	g.db.Find(&rows)
	if len(rows) != 1 || rows[0].Status != models.StepSkipped {
		t.Errorf("log = %+v", rows)
	}
}

func TestEmailThroughSMTPIsSentOnceAcrossRetries(t *testing.T) {
	srv := testservers.NewSMTP(t)
	mailer, err := email.NewSMTP(email.SMTPOptions{URL: srv.URL, From: "Acme <hello@acme.test>"})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs, Email: mailer})
	in := f.input(`{"id": "m1", "type": "send_email", "config": {"subject": "Welcome {{contact.first_name}}", "body": "<b>Hi</b>", "text": "Hi"}}`)
	for i := 0; i < 2; i++ {
		if _, err := execute(t, a, in); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("SMTP received %d mails, want 1", len(got))
	}
	if got[0].Subject != "Welcome Ada" || len(got[0].To) != 1 || got[0].To[0] != "ada@example.com" || !strings.Contains(got[0].Data, "<b>Hi</b>") {
		t.Errorf("mail = %+v", got[0])
	}
	if id := got[0].Header.Get("Message-Id"); !strings.Contains(id, "enr1.m1.1@crmflow") {
		t.Errorf("Message-ID = %q", id)
	}
}

func TestNoProviderRecordsTheMessage(t *testing.T) {
	f := newFixture(t, contacts.Input{Email: ptr("ada@example.com"), Phone: ptr("+14155550123")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	for _, step := range []string{
		`{"id": "s1", "type": "send_sms", "config": {"body": "hi"}}`,
		`{"id": "s2", "type": "send_email", "config": {"subject": "s", "body": "b"}}`,
	} {
		res, err := execute(t, a, f.input(step))
		if err != nil || res.Output["status"] != models.MessageRecorded {
			t.Fatalf("%s: %+v, %v", step, res, err)
		}
	}
	var n int64
	f.db.Model(&models.Message{}).Where("status = ?", models.MessageRecorded).Count(&n)
	if n != 2 {
		t.Errorf("recorded messages = %d", n)
	}
}

func TestWebhookRefusesPrivateAddressesByDefault(t *testing.T) {
	f := newFixture(t, contacts.Input{FirstName: ptr("Ada")})
	a := activities.New(activities.Options{DB: f.db, Contacts: f.cs})
	for _, url := range []string{"http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]:9/"} {
		_, err := execute(t, a, f.input(`{"id": "h", "type": "webhook", "config": {"url": "`+url+`"}}`))
		if err == nil || !strings.Contains(err.Error(), "CRMFLOW_WEBHOOK_ALLOW_PRIVATE") {
			t.Errorf("%s: err = %v, want refused", url, err)
		}
	}
}

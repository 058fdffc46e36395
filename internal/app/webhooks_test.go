package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/testservers"
)

// startDevWithTwilio boots crmflow dev with Twilio configured against a
// loopback Twilio server, so inbound webhooks can be signed and any SMS a
// workflow sends lands there.
func startDevWithTwilio(t *testing.T) (*Dev, *testservers.Twilio) {
	t.Helper()
	tw := testservers.NewTwilio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDev(ctx, DevOptions{DataDir: filepath.Join(t.TempDir(), ".crmflow"), APIAddr: "127.0.0.1:0", UIPort: -1,
		Config: config.Config{LogFormat: "text", TemporalNamespace: "default", TwilioAccountSID: tw.AccountSID,
			TwilioAuthToken: tw.AuthToken, TwilioFromNumber: "+15005550006", TwilioBaseURL: tw.URL},
		SweepInterval: time.Second})
	if err != nil {
		t.Fatalf("starting crmflow dev: %v", err)
	}
	t.Cleanup(func() { d.Stop() })
	return d, tw
}

// textIn posts an inbound SMS to the account's Twilio webhook, signed as
// Twilio signs it (no CRMFLOW_PUBLIC_URL: the URL it was called at).
func textIn(t *testing.T, d *Dev, token, sid, from, body string) {
	t.Helper()
	var acct struct {
		ID string `json:"id"`
	}
	if err := d.App.DB.Table("accounts").Select("id").Where("dev = ?", true).Take(&acct).Error; err != nil {
		t.Fatal(err)
	}
	u := d.APIURL + "/v1/webhooks/twilio/" + acct.ID + "/sms"
	form := url.Values{"MessageSid": {sid}, "AccountSid": {"AC1"}, "From": {from}, "To": {"+15005550006"}, "Body": {body}, "NumMedia": {"0"}}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	signed := u
	for _, k := range keys {
		signed += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(signed))
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), "<Response/>") {
		t.Fatalf("inbound SMS webhook: %d %s", resp.StatusCode, raw)
	}
}

// TestInboundSMSEnrollsIntoReplyWorkflow: a text that Twilio posts to the
// webhook enrolls its sender (a new contact) into a published workflow
// whose customer_replied trigger filters on what was said.
func TestInboundSMSEnrollsIntoReplyWorkflow(t *testing.T) {
	d, tw := startDevWithTwilio(t)
	var wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "Said yes", "triggers": [{"id": "t1", "type": "customer_replied",
		"filters": {"all": [{"field": "event.channel", "op": "is", "value": "sms"}, {"field": "event.body", "op": "contains", "value": "yes"}]}}],
		"start": "tag", "steps": [
		{"id": "tag", "type": "add_tag", "config": {"tags": ["interested"]}, "next": "ack"},
		{"id": "ack", "type": "send_sms", "config": {"body": "Great, you said: {{event.body}}"}}]}`), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	textIn(t, d, tw.AuthToken, "SM0001", "+14155550123", "maybe later") // does not match
	textIn(t, d, tw.AuthToken, "SM0002", "+14155550123", "Yes, book me")

	var contacts struct {
		Items []struct {
			ID   string   `json:"id"`
			Tags []string `json:"tags"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/contacts?phone=%2B14155550123", nil, &contacts)
	if len(contacts.Items) != 1 {
		t.Fatalf("contacts with the sender's phone: %+v", contacts.Items)
	}
	contactID := contacts.Items[0].ID
	var list struct {
		Items []enrollmentView `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows/"+wf.ID+"/enrollments?contact_id="+contactID, nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("enrollments = %+v", list.Items)
	}
	waitFor(t, d, list.Items[0].ID, "completed")
	call(t, d, "GET", "/v1/contacts?phone=%2B14155550123", nil, &contacts)
	if len(contacts.Items[0].Tags) != 1 || contacts.Items[0].Tags[0] != "interested" {
		t.Errorf("tags = %v", contacts.Items[0].Tags)
	}
	if got := tw.Messages(); len(got) != 1 || got[0].To != "+14155550123" || got[0].Body != "Great, you said: Yes, book me" {
		t.Errorf("Twilio got %+v", got)
	}
}

// TestReplyEndsWaitingEnrollmentWithStopOnResponse: a contact waiting in a
// workflow with stop_on_response texts back; the run exits and the step
// after the wait never sends.
func TestReplyEndsWaitingEnrollmentWithStopOnResponse(t *testing.T) {
	d, tw := startDevWithTwilio(t)
	var contact, wf struct {
		ID string `json:"id"`
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123"}, &contact)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "Chaser", "settings": {"stop_on_response": true},
		"triggers": [], "start": "w", "steps": [
		{"id": "w", "type": "wait", "config": {"mode": "delay", "duration": "1h"}, "next": "s"},
		{"id": "s", "type": "send_sms", "config": {"body": "Still there?"}}]}`), &wf)
	call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil)
	var e enrollmentView
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/enrollments", map[string]any{"contact_id": contact.ID}, &e); code != 201 {
		t.Fatalf("enroll: %d", code)
	}
	waitFor(t, d, e.ID, "waiting")
	textIn(t, d, tw.AuthToken, "SM0100", "+1 415 555 0123", "who is this?")
	waitFor(t, d, e.ID, "exited")
	var full struct {
		ExitReason string `json:"exit_reason"`
	}
	call(t, d, "GET", "/v1/enrollments/"+e.ID, nil, &full)
	if !strings.Contains(full.ExitReason, "replied") {
		t.Errorf("exit reason = %q", full.ExitReason)
	}
	time.Sleep(500 * time.Millisecond)
	if got := tw.Messages(); len(got) != 0 {
		t.Errorf("Twilio got %+v after the reply", got)
	}
}

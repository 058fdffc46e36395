package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

type idOnly struct {
	ID string `json:"id"`
}

// enrollmentOf polls until the contact has an enrollment in the workflow.
func enrollmentOf(t *testing.T, d *Dev, workflowID, contactID string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var list struct {
			Items []enrollmentView `json:"items"`
		}
		call(t, d, "GET", "/v1/workflows/"+workflowID+"/enrollments?contact_id="+contactID, nil, &list)
		if len(list.Items) > 0 {
			return list.Items[0].ID
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("contact %s was never enrolled into workflow %s", contactID, workflowID)
	return ""
}

// TestTriggerLinkInAnSMSEnrollsWhoOpensIt: a trigger link in an SMS body is
// rendered as the contact's own URL; opening it (as a phone would, without
// following the redirect) enrolls the contact into another published
// workflow whose trigger_link_clicked trigger names the link.
func TestTriggerLinkInAnSMSEnrollsWhoOpensIt(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var link, contact, sender, follower idOnly
	call(t, d, "POST", "/v1/trigger-links", map[string]any{"name": "Spring offer", "destination_url": "https://example.com/spring"}, &link)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "send the offer",
		"triggers": [{"id": "t1", "type": "contact_tag_added", "filters": {"all": [{"field": "event.tag", "op": "is", "value": "lead"}]}}],
		"start": "s1", "steps": [{"id": "s1", "type": "send_sms", "config": {"body": "Hi {{contact.first_name}}, see {{trigger_link.`+link.ID+`}}"}}]}`), &sender)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "clicked the offer",
		"triggers": [{"id": "t1", "type": "trigger_link_clicked", "config": {"link_ids": ["`+link.ID+`"]}}],
		"start": "s1", "steps": [{"id": "s1", "type": "add_tag", "config": {"tags": ["clicked-spring"]}}]}`), &follower)
	for _, wf := range []string{sender.ID, follower.ID} {
		if code := call(t, d, "POST", "/v1/workflows/"+wf+"/publish", nil, nil); code != 200 {
			t.Fatalf("publish %s: %d", wf, code)
		}
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "phone": "+14155550123", "tags": []string{"lead"}}, &contact)
	waitFor(t, d, enrollmentOf(t, d, sender.ID, contact.ID), "completed")

	var msgs struct {
		Items []struct {
			Body string `json:"body"`
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+contact.ID, nil, &msgs)
	if len(msgs.Items) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
	m := regexp.MustCompile(`^Hi Ada, see (` + regexp.QuoteMeta(d.APIURL) + `/l/[A-Za-z0-9_-]+)$`).FindStringSubmatch(msgs.Items[0].Body)
	if m == nil {
		t.Fatalf("SMS body %q has no tracked URL under %s", msgs.Items[0].Body, d.APIURL)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.com/spring" {
		t.Fatalf("opening %s: %d to %q", m[1], resp.StatusCode, resp.Header.Get("Location"))
	}
	waitFor(t, d, enrollmentOf(t, d, follower.ID, contact.ID), "completed")
	var got struct {
		Tags []string `json:"tags"`
	}
	call(t, d, "GET", "/v1/contacts/"+contact.ID, nil, &got)
	if !strings.Contains(strings.Join(got.Tags, ","), "clicked-spring") {
		t.Errorf("tags = %v", got.Tags)
	}
}

// TestInboundWebhookPostEnrollsANewContact: a POST to an inbound_webhook
// trigger's URL, with no API key, creates the contact from the payload and
// enrolls it; the payload is readable as event.* in steps.
func TestInboundWebhookPostEnrollsANewContact(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var wf struct {
		ID       string `json:"id"`
		Triggers []struct {
			WebhookURL string `json:"webhook_url"`
		} `json:"triggers"`
	}
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "leads from the site",
		"triggers": [{"id": "site", "type": "inbound_webhook", "config": {"mapping": {"first_name": "lead.name", "custom.source": "source"}}}],
		"start": "s1", "steps": [{"id": "s1", "type": "update_contact", "config": {"fields": {"custom.plan": "{{event.lead.plan}}"}}}]}`), &wf)
	if code := call(t, d, "POST", "/v1/workflows/"+wf.ID+"/publish", nil, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	if len(wf.Triggers) != 1 || !strings.HasPrefix(wf.Triggers[0].WebhookURL, d.APIURL+"/v1/hooks/") {
		t.Fatalf("webhook_url = %+v", wf.Triggers)
	}
	body := `{"email": "grace@example.com", "lead": {"name": "Grace", "plan": "pro"}, "source": "landing"}`
	resp, err := http.Post(wf.Triggers[0].WebhookURL, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var accepted struct {
		ContactID   string `json:"contact_id"`
		Enrollments []struct {
			ID         string `json:"id"`
			WorkflowID string `json:"workflow_id"`
		} `json:"enrollments"`
	}
	if err := json.Unmarshal(raw, &accepted); err != nil || resp.StatusCode != http.StatusAccepted ||
		len(accepted.Enrollments) != 1 || accepted.Enrollments[0].WorkflowID != wf.ID {
		t.Fatalf("POST to the hook: %d %s", resp.StatusCode, raw)
	}
	waitFor(t, d, accepted.Enrollments[0].ID, "completed")
	var c struct {
		FirstName string         `json:"first_name"`
		Email     string         `json:"email"`
		Custom    map[string]any `json:"custom"`
	}
	call(t, d, "GET", "/v1/contacts/"+accepted.ContactID, nil, &c)
	if c.FirstName != "Grace" || c.Email != "grace@example.com" || fmt.Sprint(c.Custom["source"]) != "landing" || fmt.Sprint(c.Custom["plan"]) != "pro" {
		t.Errorf("contact = %+v", c)
	}
}

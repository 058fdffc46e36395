package app

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestEmailClickEnrollsIntoEmailEventWorkflow: an email sent by one
// workflow has its links wrapped under the API's address; opening the
// pixel enrolls nobody into a workflow whose email_event trigger filters on
// clicked, and following the link (as a mail client would, without
// following the redirect) enrolls the contact there.
func TestEmailClickEnrollsIntoEmailEventWorkflow(t *testing.T) {
	d := startDev(t, t.TempDir(), 0)
	defer d.Stop()
	var contact, sender, follower idOnly
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "send the offer",
		"triggers": [{"id": "t1", "type": "contact_tag_added", "filters": {"all": [{"field": "event.tag", "op": "is", "value": "lead"}]}}],
		"start": "s1", "steps": [{"id": "s1", "type": "send_email", "config": {"subject": "Offer",
			"body": "<p>Hi {{contact.first_name}}, <a href=\"https://example.com/spring\">see the offer</a>.</p>"}}]}`), &sender)
	call(t, d, "POST", "/v1/workflows", json.RawMessage(`{"name": "clicked an email",
		"triggers": [{"id": "t1", "type": "email_event", "filters": {"all": [{"field": "event.event", "op": "is", "value": "clicked"}]}}],
		"start": "s1", "steps": [{"id": "s1", "type": "add_tag", "config": {"tags": ["clicked-{{event.url | split: \"/\" | last}}"]}}]}`), &follower)
	for _, wf := range []string{sender.ID, follower.ID} {
		if code := call(t, d, "POST", "/v1/workflows/"+wf+"/publish", nil, nil); code != 200 {
			t.Fatalf("publish %s: %d", wf, code)
		}
	}
	call(t, d, "POST", "/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com", "tags": []string{"lead"}}, &contact)
	waitFor(t, d, enrollmentOf(t, d, sender.ID, contact.ID), "completed")

	var msgs struct {
		Items []struct {
			Body, Status string
		} `json:"items"`
	}
	call(t, d, "GET", "/v1/messages?contact_id="+contact.ID, nil, &msgs)
	if len(msgs.Items) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
	body := msgs.Items[0].Body
	base := regexp.QuoteMeta(d.APIURL)
	click := regexp.MustCompile(`href="(` + base + `/t/c/[A-Za-z0-9_-]+)"`).FindStringSubmatch(body)
	pixel := regexp.MustCompile(`src="(` + base + `/t/o/[A-Za-z0-9_-]+\.gif)"`).FindStringSubmatch(body)
	if click == nil || pixel == nil {
		t.Fatalf("the recorded email has no tracked link or pixel under %s: %s", d.APIURL, body)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(pixel[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/gif" {
		t.Fatalf("pixel: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var list struct {
		Items []enrollmentView `json:"items"`
	}
	call(t, d, "GET", "/v1/workflows/"+follower.ID+"/enrollments?contact_id="+contact.ID, nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("an open enrolled into the clicked workflow: %+v", list.Items)
	}
	resp, err = noFollow.Get(click[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.com/spring" {
		t.Fatalf("opening %s: %d to %q", click[1], resp.StatusCode, resp.Header.Get("Location"))
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

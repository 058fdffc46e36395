package api

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/models"
)

// trackedEmail stores a sent email to the contact and prepares its
// tracked URLs under http://example.com.
func (v *testEnv) trackedEmail(contactID string) (pixel, click, unsubscribe string) {
	v.t.Helper()
	msg := models.Message{ID: models.NewID(), AccountID: v.acct.ID, ContactID: contactID, Channel: "email", To: "ada@example.com",
		Body: "x", Status: models.MessageSent}
	if err := v.db.Create(&msg).Error; err != nil {
		v.t.Fatal(err)
	}
	p, err := v.srv.opts.EmailTracking.Prepare(context.Background(), "http://example.com", msg.ID,
		emailtracking.Email{HTML: `<a href="https://example.com/offer?x=1">offer</a>`})
	if err != nil {
		v.t.Fatal(err)
	}
	path := func(re string) string {
		m := regexp.MustCompile(`http://example\.com(` + re + `)`).FindStringSubmatch(p.HTML + " " + p.UnsubscribeURL)
		if m == nil {
			v.t.Fatalf("no %s in %s", re, p.HTML)
		}
		return m[1]
	}
	return path(`/t/o/[A-Za-z0-9_-]+\.gif`), path(`/t/c/[A-Za-z0-9_-]+`), path(`/t/u/[A-Za-z0-9_-]+`)
}

func (v *testEnv) emailEvents(contactID string) []string {
	v.t.Helper()
	var rows []models.Event
	v.db.Where("type = ? AND contact_id = ?", emailtracking.EventType, contactID).Order("id").Find(&rows)
	out := make([]string, len(rows))
	for i, ev := range rows {
		out[i], _ = ev.Data["event"].(string)
	}
	return out
}

// TestEmailTrackingRoutes: the pixel answers a GIF and raises opened once;
// a click redirects and raises clicked, which enrolls into a workflow whose
// email_event trigger filters on clicked; forged codes answer 404; the
// unsubscribe link sets the contact's email DND.
func TestEmailTrackingRoutes(t *testing.T) {
	v := newEnv(t)
	ct := v.createContact(map[string]any{"first_name": "Ada", "email": "ada@example.com"})["id"].(string)
	def := map[string]any{"name": "clicked", "start": "s1",
		"triggers": []any{map[string]any{"id": "t1", "type": "email_event",
			"filters": map[string]any{"all": []any{map[string]any{"field": "event.event", "op": "is", "value": "clicked"}}}}},
		"steps": []any{map[string]any{"id": "s1", "type": "add_tag", "config": map[string]any{"tags": []any{"clicked"}}}}}
	wf := v.createWorkflowAs(v.key, def)["id"].(string)
	v.do(http.MethodPost, "/v1/workflows/"+wf+"/publish", nil).expect(http.StatusOK)
	pixel, click, unsub := v.trackedEmail(ct)

	for i := 0; i < 2; i++ {
		r := v.doAs("", http.MethodGet, pixel, nil).expect(http.StatusOK)
		if r.Header.Get("Content-Type") != "image/gif" || !bytes.HasPrefix(r.Body, []byte("GIF89a")) || r.Header.Get("Cache-Control") == "" {
			t.Fatalf("pixel answered %s %q", r.Header.Get("Content-Type"), r.Body)
		}
	}
	if got := v.emailEvents(ct); strings.Join(got, ",") != "opened" {
		t.Fatalf("after two opens: %v, want one opened", got)
	}
	if n := len(v.startedRuns()); n != 0 {
		t.Fatalf("an open enrolled %d runs into a workflow filtered on clicked", n)
	}

	r := v.doAs("", http.MethodGet, click, nil).expect(http.StatusFound)
	if r.Header.Get("Location") != "https://example.com/offer?x=1" {
		t.Errorf("Location = %q", r.Header.Get("Location"))
	}
	if got := v.emailEvents(ct); strings.Join(got, ",") != "opened,clicked" {
		t.Errorf("events = %v", got)
	}
	if runs := v.startedRuns(); len(runs) != 1 || !strings.Contains(runs[0].ID, wf) {
		t.Errorf("runs started by the click: %+v", runs)
	}

	// Forged or damaged codes: 404, nothing raised.
	v.doAs("", http.MethodGet, click[:len(click)-2]+"AA", nil).problem(http.StatusNotFound)
	v.doAs("", http.MethodGet, "/t/o/nothing.gif", nil).problem(http.StatusNotFound)
	v.doAs("", http.MethodGet, strings.TrimSuffix(pixel, ".gif"), nil).problem(http.StatusNotFound)
	v.doAs("", http.MethodGet, "/t/u/"+strings.TrimPrefix(click, "/t/c/"), nil).problem(http.StatusNotFound)
	if got := v.emailEvents(ct); len(got) != 2 {
		t.Errorf("bad codes raised events: %v", got)
	}

	page := v.doAs("", http.MethodGet, unsub, nil).expect(http.StatusOK)
	if !strings.Contains(string(page.Body), "unsubscribed") {
		t.Errorf("page = %s", page.Body)
	}
	v.doAs("", http.MethodPost, unsub, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded").expect(http.StatusOK)
	dnd := v.do(http.MethodGet, "/v1/contacts/"+ct, nil).expect(http.StatusOK).obj()["dnd"].(map[string]any)
	if dnd["email"] != true || dnd["sms"] != false {
		t.Errorf("dnd = %v", dnd)
	}
	if got := v.emailEvents(ct); strings.Join(got, ",") != "opened,clicked,unsubscribed" {
		t.Errorf("events = %v", got)
	}
}

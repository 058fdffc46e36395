package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestTriggerLinksCRUDAndTenants(t *testing.T) {
	v := newEnv(t)
	p := v.do(http.MethodPost, "/v1/trigger-links", map[string]any{"name": " ", "destination_url": "ftp://x"}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "name", "destination_url")
	v.do(http.MethodPost, "/v1/trigger-links", map[string]any{"name": "x", "url": "https://x"}).problem(http.StatusUnprocessableEntity)

	l := v.do(http.MethodPost, "/v1/trigger-links", map[string]any{"name": "Offer", "destination_url": "https://example.com/offer"}).
		expect(http.StatusCreated).obj()
	id := l["id"].(string)
	if l["template"] != "{{trigger_link."+id+"}}" || l["destination_url"] != "https://example.com/offer" {
		t.Fatalf("answer = %v", l)
	}
	v.do(http.MethodGet, "/v1/trigger-links/"+id, nil).expect(http.StatusOK)
	v.doAs(v.otherKey, http.MethodGet, "/v1/trigger-links/"+id, nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodPatch, "/v1/trigger-links/"+id, map[string]any{"name": "mine"}).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodDelete, "/v1/trigger-links/"+id, nil).problem(http.StatusNotFound)
	if items := v.doAs(v.otherKey, http.MethodGet, "/v1/trigger-links", nil).expect(http.StatusOK).obj()["items"].([]any); len(items) != 0 {
		t.Errorf("another account lists %v", items)
	}

	got := v.do(http.MethodPatch, "/v1/trigger-links/"+id, map[string]any{"destination_url": "https://example.com/new"}).expect(http.StatusOK).obj()
	if got["name"] != "Offer" || got["destination_url"] != "https://example.com/new" {
		t.Errorf("patched = %v", got)
	}
	v.do(http.MethodPatch, "/v1/trigger-links/"+id, map[string]any{"destination_url": "mailto:a@b.c"}).problem(http.StatusUnprocessableEntity)
	if items := v.do(http.MethodGet, "/v1/trigger-links", nil).expect(http.StatusOK).obj()["items"].([]any); len(items) != 1 {
		t.Errorf("list = %v", items)
	}
	v.do(http.MethodDelete, "/v1/trigger-links/"+id, nil).expect(http.StatusNoContent)
	v.do(http.MethodGet, "/v1/trigger-links/"+id, nil).problem(http.StatusNotFound)
}

// linkWorkflow is published and enrolls on clicks of the given links.
func (v *testEnv) linkWorkflow(name string, config map[string]any) string {
	v.t.Helper()
	trig := map[string]any{"id": "t1", "type": "trigger_link_clicked"}
	if config != nil {
		trig["config"] = config
	}
	def := map[string]any{"name": name, "triggers": []any{trig}, "start": "s1",
		"steps": []any{map[string]any{"id": "s1", "type": "add_tag", "config": map[string]any{"tags": []any{"clicked"}}}}}
	id := v.createWorkflowAs(v.key, def)["id"].(string)
	v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK)
	return id
}

func TestOpeningATriggerLinkRedirectsAndEnrollsOnce(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	link := v.do(http.MethodPost, "/v1/trigger-links", map[string]any{"name": "Offer", "destination_url": "https://example.com/offer?x=1"}).
		expect(http.StatusCreated).obj()["id"].(string)
	other := v.do(http.MethodPost, "/v1/trigger-links", map[string]any{"name": "Other", "destination_url": "https://example.com/other"}).
		expect(http.StatusCreated).obj()["id"].(string)
	anyLink := v.linkWorkflow("Any link", nil)
	thisLink := v.linkWorkflow("This link", map[string]any{"link_ids": []any{link}})
	v.linkWorkflow("Other link", map[string]any{"link_ids": []any{other}})
	p := v.do(http.MethodPost, "/v1/workflows", map[string]any{"name": "bad", "start": "s1",
		"triggers": []any{map[string]any{"id": "t1", "type": "trigger_link_clicked", "config": map[string]any{"link_ids": []any{""}, "x": 1}}},
		"steps":    []any{map[string]any{"id": "s1", "type": "end"}}}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "triggers[0].config.x")

	url, err := v.srv.opts.TriggerLinks.URL(ctx, "http://example.com", link, ct)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(url, "http://example.com")
	for i := 0; i < 2; i++ { // a double click
		r := v.doAs("", http.MethodGet, path, nil).expect(http.StatusFound)
		if r.Header.Get("Location") != "https://example.com/offer?x=1" {
			t.Fatalf("Location = %q", r.Header.Get("Location"))
		}
	}
	var evs []models.Event
	v.db.Where("type = ? AND contact_id = ?", "trigger_link_clicked", ct).Find(&evs)
	if len(evs) != 1 || evs[0].Data["link_id"] != link || evs[0].Data["url"] != "https://example.com/offer?x=1" {
		t.Fatalf("events = %+v", evs)
	}
	var enrolled []string
	v.db.Model(&models.Enrollment{}).Where("contact_id = ?", ct).Order("workflow_id").Pluck("workflow_id", &enrolled)
	want := []string{anyLink, thisLink}
	if anyLink > thisLink {
		want = []string{thisLink, anyLink}
	}
	if strings.Join(enrolled, ",") != strings.Join(want, ",") {
		t.Errorf("enrolled into %v, want %v (the workflow for the other link must not fire)", enrolled, want)
	}

	// A flipped byte, a made-up code: the same 404 as anything unknown.
	code := strings.TrimPrefix(path, "/l/")
	raw, _ := base64.RawURLEncoding.DecodeString(code)
	raw[20] ^= 0x40
	v.doAs("", http.MethodGet, "/l/"+base64.RawURLEncoding.EncodeToString(raw), nil).problem(http.StatusNotFound)
	v.doAs("", http.MethodGet, "/l/nothing-here", nil).problem(http.StatusNotFound)

	// Deleting the link (once no published workflow uses it) kills its URLs.
	v.do(http.MethodPost, "/v1/workflows/"+thisLink+"/draft", nil).expect(http.StatusOK)
	v.do(http.MethodDelete, "/v1/trigger-links/"+link, nil).expect(http.StatusNoContent)
	v.doAs("", http.MethodGet, path, nil).problem(http.StatusNotFound)
}

func TestALinkUsedByAPublishedWorkflowCannotBeDeleted(t *testing.T) {
	v := newEnv(t)
	id := v.do(http.MethodPost, "/v1/trigger-links", map[string]any{"name": "Offer", "destination_url": "https://example.com/offer"}).
		expect(http.StatusCreated).obj()["id"].(string)
	wf := v.linkWorkflow("clicks", map[string]any{"link_ids": []any{id}})
	p := v.do(http.MethodDelete, "/v1/trigger-links/"+id, nil).problem(http.StatusConflict)
	if !strings.Contains(p.Detail, "clicks") {
		t.Errorf("detail = %q, want the workflow named", p.Detail)
	}
	v.do(http.MethodPost, "/v1/workflows/"+wf+"/draft", nil).expect(http.StatusOK)
	v.do(http.MethodDelete, "/v1/trigger-links/"+id, nil).expect(http.StatusNoContent)
	// and a workflow naming a link that does not exist is refused on publish
	def := map[string]any{"name": "dead link", "start": "s1", "steps": []any{map[string]any{"id": "s1", "type": "send_sms",
		"config": map[string]any{"body": "Go {{trigger_link." + id + "}}"}}}}
	wid := v.createWorkflowAs(v.key, def)["id"].(string)
	wantPaths(t, v.do(http.MethodPost, "/v1/workflows/"+wid+"/publish", nil).problem(http.StatusUnprocessableEntity), "steps[0].config")
}

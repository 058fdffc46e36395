package api

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/crmflow/crmflow/models"
)

// definitionOf is an answer without the fields the API adds, so that a
// workflow answer and a version answer of the same definition compare equal.
func definitionOf(answer map[string]any) map[string]any {
	out := map[string]any{}
	for k, val := range answer {
		out[k] = val
	}
	for _, k := range append(readOnlyWorkflowFields, "published_at") {
		delete(out, k)
	}
	return out
}

// smsWorkflow is simpleWorkflow whose SMS says body.
func smsWorkflow(name, body string) map[string]any {
	def := simpleWorkflow(name)
	def["steps"] = []any{map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{"body": body}}}
	return def
}

// TestWorkflowVersionsReadable: each published version answers the
// definition it froze, even after later saves and publishes, and the list
// shows them newest first, paged.
func TestWorkflowVersionsReadable(t *testing.T) {
	v := newEnv(t)
	wf := v.createWorkflowAs(v.key, smsWorkflow("Nurture", "one"))
	id := wf["id"].(string)
	base := "/v1/workflows/" + id + "/versions"

	// Never published: no versions, and version 1 is unknown.
	list := v.do(http.MethodGet, base, nil).expect(http.StatusOK).obj()
	if items := list["items"].([]any); len(items) != 0 || list["next_cursor"] != nil {
		t.Fatalf("versions of a draft = %v", list)
	}
	wantPaths(t, v.do(http.MethodGet, base+"/1", nil).problem(http.StatusNotFound), "version")

	pub1 := v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK).obj()
	put := v.do(http.MethodPut, "/v1/workflows/"+id, smsWorkflow("Nurture", "two")).expect(http.StatusOK).obj()
	if put["has_unpublished_changes"] != true {
		t.Fatalf("PUT after publish = %v", put)
	}
	v1 := v.do(http.MethodGet, base+"/1", nil).expect(http.StatusOK).obj()
	if v1["workflow_id"] != id || v1["version"] != 1.0 || v1["published_at"] == nil {
		t.Fatalf("version 1 = %v", v1)
	}
	if got, want := definitionOf(v1), definitionOf(pub1); !reflect.DeepEqual(got, want) {
		t.Fatalf("version 1 after a PUT = %v\nwant what was published: %v", got, want)
	}

	pub2 := v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK).obj()
	v.do(http.MethodPut, "/v1/workflows/"+id, smsWorkflow("Nurture", "three")).expect(http.StatusOK)
	if got := v.do(http.MethodGet, base+"/1", nil).expect(http.StatusOK).obj(); !reflect.DeepEqual(got, v1) {
		t.Fatalf("version 1 changed after another publish:\n%v\nwas %v", got, v1)
	}
	v2 := v.do(http.MethodGet, base+"/2", nil).expect(http.StatusOK).obj()
	if got, want := definitionOf(v2), definitionOf(pub2); !reflect.DeepEqual(got, want) || v2["version"] != 2.0 {
		t.Fatalf("version 2 = %v\nwant %v", v2, pub2)
	}
	if body := v2["steps"].([]any)[0].(map[string]any)["config"].(map[string]any)["body"]; body != "two" {
		t.Fatalf("version 2 says %v, want two", body)
	}

	// Newest first, one per page.
	first := v.do(http.MethodGet, base+"?limit=1", nil).expect(http.StatusOK).obj()
	items := first["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["version"] != 2.0 || first["next_cursor"] == nil {
		t.Fatalf("first page = %v", first)
	}
	if items[0].(map[string]any)["published_at"] != v2["published_at"] || items[0].(map[string]any)["workflow_id"] != id {
		t.Fatalf("item %v does not match version 2 %v", items[0], v2)
	}
	second := v.do(http.MethodGet, base+"?limit=1&cursor="+first["next_cursor"].(string), nil).expect(http.StatusOK).obj()
	items = second["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["version"] != 1.0 || second["next_cursor"] != nil {
		t.Fatalf("second page = %v", second)
	}
	all := v.do(http.MethodGet, base, nil).expect(http.StatusOK).obj()["items"].([]any)
	if len(all) != 2 || all[0].(map[string]any)["version"] != 2.0 || all[1].(map[string]any)["version"] != 1.0 {
		t.Fatalf("all versions = %v", all)
	}

	// A version answer sent back as the body of PUT restores it as the draft.
	restored := v.do(http.MethodPut, "/v1/workflows/"+id, v2).expect(http.StatusOK).obj()
	if restored["has_unpublished_changes"] != false || restored["version"] != 2.0 {
		t.Fatalf("PUT of version 2 = %v", restored)
	}
}

func TestWorkflowVersionFaults(t *testing.T) {
	v := newEnv(t)
	id := v.publishedWorkflowAs(v.key, "Nurture")
	base := "/v1/workflows/" + id + "/versions"
	for _, n := range []string{"2"} {
		p := v.do(http.MethodGet, base+"/"+n, nil).problem(http.StatusNotFound)
		wantPaths(t, p, "version")
	}
	for _, n := range []string{"one", "1.5", "0", "-1", "99999999999999999999999"} {
		wantPaths(t, v.do(http.MethodGet, base+"/"+n, nil).problem(http.StatusBadRequest), "version")
	}
	// A cursor of another list, or of another workflow's versions.
	other := v.publishedWorkflowAs(v.key, "Other")
	page := v.do(http.MethodGet, "/v1/workflows/"+other+"/versions?limit=1", nil).expect(http.StatusOK).obj()
	if page["next_cursor"] != nil {
		t.Fatalf("one version, yet a next page: %v", page)
	}
	cursor := encodeCursor(models.NewID())
	wantPaths(t, v.do(http.MethodGet, base+"?cursor="+cursor, nil).problem(http.StatusBadRequest), "cursor")
	wantPaths(t, v.do(http.MethodGet, base+"?cursor=nope", nil).problem(http.StatusBadRequest), "cursor")
	var otherVersion models.WorkflowVersion
	if err := v.db.Where("workflow_id = ?", other).First(&otherVersion).Error; err != nil {
		t.Fatal(err)
	}
	wantPaths(t, v.do(http.MethodGet, base+"?cursor="+encodeCursor(otherVersion.ID), nil).problem(http.StatusBadRequest), "cursor")

	for _, unknown := range []string{"nope", models.NewID()} {
		v.do(http.MethodGet, "/v1/workflows/"+unknown+"/versions", nil).problem(http.StatusNotFound)
		v.do(http.MethodGet, "/v1/workflows/"+unknown+"/versions/1", nil).problem(http.StatusNotFound)
	}
}

// TestWorkflowVersionsTenantIsolation: another account's workflow answers
// 404 like an unknown one, without naming the version.
func TestWorkflowVersionsTenantIsolation(t *testing.T) {
	v := newEnv(t)
	id := v.publishedWorkflowAs(v.key, "Mine")
	base := "/v1/workflows/" + id + "/versions"
	v.do(http.MethodGet, base+"/1", nil).expect(http.StatusOK)

	if p := v.doAs(v.otherKey, http.MethodGet, base, nil).problem(http.StatusNotFound); len(p.Errors) != 0 {
		t.Fatalf("another account's list: %+v", p)
	}
	for _, n := range []string{"1", "2"} {
		if p := v.doAs(v.otherKey, http.MethodGet, base+"/"+n, nil).problem(http.StatusNotFound); len(p.Errors) != 0 || p.Detail != "workflow not found" {
			t.Fatalf("another account's version %s: %+v", n, p)
		}
	}
	// The other account's own workflow lists only its own versions.
	theirs := v.publishedWorkflowAs(v.otherKey, "Theirs")
	items := v.doAs(v.otherKey, http.MethodGet, "/v1/workflows/"+theirs+"/versions", nil).expect(http.StatusOK).obj()["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["workflow_id"] != theirs {
		t.Fatalf("their versions = %v", items)
	}
}

// TestWorkflowVersionOfEnrollment: an enrollment's version reads the
// definition it runs, also once the workflow is deleted.
func TestWorkflowVersionOfEnrollment(t *testing.T) {
	v := newEnv(t)
	id := v.publishedWorkflowAs(v.key, "Nurture")
	ct := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	e := v.do(http.MethodPost, "/v1/workflows/"+id+"/enrollments", map[string]any{"contact_id": ct}).expect(http.StatusCreated).obj()
	path := "/v1/workflows/" + e["workflow_id"].(string) + "/versions/1"
	if e["version"] != 1.0 {
		t.Fatalf("enrollment = %v", e)
	}
	before := v.do(http.MethodGet, path, nil).expect(http.StatusOK).obj()

	v.do(http.MethodDelete, "/v1/workflows/"+id, nil).expect(http.StatusNoContent)
	if after := v.do(http.MethodGet, path, nil).expect(http.StatusOK).obj(); !reflect.DeepEqual(after, before) {
		t.Fatalf("after delete: %v\nwant %v", after, before)
	}
	if items := v.do(http.MethodGet, "/v1/workflows/"+id+"/versions", nil).expect(http.StatusOK).obj()["items"].([]any); len(items) != 1 {
		t.Fatalf("versions after delete = %v", items)
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/workflows/"+id+"/versions/2", nil).problem(http.StatusNotFound), "version")
	v.doAs(v.otherKey, http.MethodGet, path, nil).problem(http.StatusNotFound)

	// A deleted workflow that was never published has nothing left to read.
	draft := v.createWorkflowAs(v.key, simpleWorkflow("Draft"))["id"].(string)
	v.do(http.MethodDelete, "/v1/workflows/"+draft, nil).expect(http.StatusNoContent)
	v.do(http.MethodGet, "/v1/workflows/"+draft+"/versions", nil).problem(http.StatusNotFound)
	v.do(http.MethodGet, "/v1/workflows/"+draft+"/versions/1", nil).problem(http.StatusNotFound)
}

// TestWorkflowTimezoneUnset: a definition without settings.timezone answers
// without it (stored as "", which names no documented value), one with it
// answers it, and a GET answer sent back changes nothing.
func TestWorkflowTimezoneUnset(t *testing.T) {
	v := newEnv(t)
	wf := v.createWorkflowAs(v.key, simpleWorkflow("No zone"))
	id := wf["id"].(string)
	if _, ok := wf["settings"].(map[string]any)["timezone"]; ok {
		t.Fatalf("settings = %v, want no timezone", wf["settings"])
	}
	var stored models.Workflow
	if err := v.db.First(&stored, "id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK)
	ver := v.do(http.MethodGet, "/v1/workflows/"+id+"/versions/1", nil).expect(http.StatusOK).obj()
	if _, ok := ver["settings"].(map[string]any)["timezone"]; ok {
		t.Fatalf("version settings = %v, want no timezone", ver["settings"])
	}
	got := v.do(http.MethodGet, "/v1/workflows/"+id, nil).expect(http.StatusOK).obj()
	if put := v.do(http.MethodPut, "/v1/workflows/"+id, got).expect(http.StatusOK).obj(); put["has_unpublished_changes"] != false {
		t.Fatalf("a GET answer sent back = %v", put)
	}
	var again models.Workflow
	if err := v.db.First(&again, "id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	if string(again.Definition) != string(stored.Definition) {
		t.Fatalf("stored definition changed:\n%s\nwas %s", again.Definition, stored.Definition)
	}

	for _, zone := range []string{"account", "contact", "Europe/Paris"} {
		def := simpleWorkflow("Zoned")
		def["settings"] = map[string]any{"timezone": zone}
		if got := v.createWorkflowAs(v.key, def)["settings"].(map[string]any)["timezone"]; got != zone {
			t.Fatalf("timezone %q answered as %v", zone, got)
		}
	}
}

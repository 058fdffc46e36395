package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestWorkflowLifecycle(t *testing.T) {
	v := newEnv(t)
	def := simpleWorkflow("Welcome")
	def["description"] = "says hi"
	wf := v.do(http.MethodPost, "/v1/workflows", def).expect(http.StatusCreated).obj()
	id := wf["id"].(string)
	if wf["status"] != "draft" || wf["version"] != 0.0 || wf["name"] != "Welcome" || wf["description"] != "says hi" ||
		wf["start"] != "s1" || wf["created_at"] == nil || wf["updated_at"] == nil {
		t.Fatalf("created: %v", wf)
	}
	steps := wf["steps"].([]any)
	if len(steps) != 1 || steps[0].(map[string]any)["config"].(map[string]any)["body"] != "Hi {{contact.first_name}}!" {
		t.Fatalf("steps: %v", steps)
	}

	got := v.do(http.MethodGet, "/v1/workflows/"+id, nil).expect(http.StatusOK).obj()
	if !reflect.DeepEqual(got, wf) {
		t.Fatalf("GET = %v\nwant %v", got, wf)
	}

	// A GET answer, edited and sent back, is accepted: read-only fields are ignored.
	got["name"] = "Welcome v2"
	got["id"] = "something-else"
	put := v.do(http.MethodPut, "/v1/workflows/"+id, got).expect(http.StatusOK).obj()
	if put["name"] != "Welcome v2" || put["id"] != id || put["status"] != "draft" {
		t.Fatalf("PUT = %v", put)
	}

	pub := v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK).obj()
	if pub["status"] != "published" || pub["version"] != 1.0 {
		t.Fatalf("publish = %v", pub)
	}
	if n := count[models.PublishedTrigger](t, v.db, "workflow_id = ?", id); n != 1 {
		t.Fatalf("%d triggers indexed", n)
	}
	pub = v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(http.StatusOK).obj()
	if pub["version"] != 2.0 {
		t.Fatalf("second publish version = %v", pub["version"])
	}

	dr := v.do(http.MethodPost, "/v1/workflows/"+id+"/draft", nil).expect(http.StatusOK).obj()
	if dr["status"] != "draft" || dr["version"] != 2.0 {
		t.Fatalf("draft = %v", dr)
	}
	if n := count[models.PublishedTrigger](t, v.db, "workflow_id = ?", id); n != 0 {
		t.Fatalf("%d triggers still indexed after draft", n)
	}

	v.do(http.MethodDelete, "/v1/workflows/"+id, nil).expect(http.StatusNoContent)
	v.do(http.MethodGet, "/v1/workflows/"+id, nil).problem(http.StatusNotFound)
}

func TestWorkflowWithoutTriggers(t *testing.T) {
	v := newEnv(t)
	def := simpleWorkflow("API only")
	delete(def, "triggers")
	wf := v.do(http.MethodPost, "/v1/workflows", def).expect(http.StatusCreated).obj()
	if tr, ok := wf["triggers"].([]any); !ok || len(tr) != 0 {
		t.Fatalf("triggers = %#v, want []", wf["triggers"])
	}
}

func TestWorkflowValidation(t *testing.T) {
	v := newEnv(t)
	bad := map[string]any{
		"name":  "Broken",
		"start": "s1",
		"steps": []any{
			map[string]any{"id": "s1", "type": "send_sms", "config": map[string]any{}, "next": "s3"},
			map[string]any{"id": "s2", "type": "teleport"},
			map[string]any{"id": "s3", "type": "send_email", "config": map[string]any{"subject": "Hi {{contact.first_name", "body": "b"}, "next": "nowhere"},
			map[string]any{"id": "s4", "type": "add_tag", "config": map[string]any{"tags": []string{"x"}}},
		},
	}
	want := []string{
		"steps[0].config.body",    // missing config field
		"steps[1].type",           // unknown step type
		"steps[2].config.subject", // bad template
		"steps[2].next",           // dangling next
		"steps[3]",                // unreachable step
	}
	p := v.do(http.MethodPost, "/v1/workflows", bad).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, want...)
	if n := count[models.Workflow](t, v.db); n != 0 {
		t.Fatalf("%d workflows saved from an invalid definition", n)
	}

	// The same on PUT: nothing changes.
	id := v.createWorkflowAs(v.key, simpleWorkflow("Good"))["id"].(string)
	before := v.do(http.MethodGet, "/v1/workflows/"+id, nil).obj()
	wantPaths(t, v.do(http.MethodPut, "/v1/workflows/"+id, bad).problem(http.StatusUnprocessableEntity), want...)
	if after := v.do(http.MethodGet, "/v1/workflows/"+id, nil).obj(); !reflect.DeepEqual(before, after) {
		t.Fatalf("a rejected PUT changed the workflow:\n%v\n%v", before, after)
	}
}

func TestWorkflowBadBodies(t *testing.T) {
	v := newEnv(t)
	id := v.createWorkflowAs(v.key, simpleWorkflow("Good"))["id"].(string)
	for _, target := range []struct{ method, path string }{{http.MethodPost, "/v1/workflows"}, {http.MethodPut, "/v1/workflows/" + id}} {
		v.do(target.method, target.path, `{"name": "x",`).problem(http.StatusBadRequest)
		v.do(target.method, target.path, ``).problem(http.StatusBadRequest)
		v.do(target.method, target.path, `"a string"`).problem(http.StatusUnprocessableEntity)
		wantPaths(t, v.do(target.method, target.path, `{"name": 5, "start": "s1", "steps": []}`).problem(http.StatusUnprocessableEntity), "name")
		def := simpleWorkflow("x")
		def["colour"] = "blue"
		wantPaths(t, v.do(target.method, target.path, def).problem(http.StatusUnprocessableEntity), "colour")
		wantPaths(t, v.do(target.method, target.path, `{"start": "s1", "steps": [{"id": "s1", "type": "end"}]}`).
			problem(http.StatusUnprocessableEntity), "name")
		wantPaths(t, v.do(target.method, target.path, `{"name": "x", "steps": [{"id": "s1", "type": "end"}]}`).
			problem(http.StatusUnprocessableEntity), "start")
	}
	if n := count[models.Workflow](t, v.db); n != 1 {
		t.Fatalf("%d workflows", n)
	}
}

// TestWorkflowNestedFaultPaths: structural faults deep in a definition are
// named by their full path.
func TestWorkflowNestedFaultPaths(t *testing.T) {
	v := newEnv(t)
	cases := map[string]string{
		`{"name":"x","start":"s1","steps":[{"id":"s1","type":"end","colour":"red"}]}`:                                                                                                    "steps[0].colour",
		`{"name":"x","start":"s1","steps":[{"id":"s1","type":"end"},{"id":"s2","type":"end","next":5}]}`:                                                                                 "steps[1].next",
		`{"name":"x","start":"s1","settings":{"allow_reentry":"yes"},"steps":[{"id":"s1","type":"end"}]}`:                                                                                "settings.allow_reentry",
		`{"name":"x","start":"s1","triggers":[{"id":"t","type":"contact_created","filters":{"all":[{"field":"contact.email","op":"is","valu":1}]}}],"steps":[{"id":"s1","type":"end"}]}`: "triggers[0].filters.all[0].valu",
		`{"name":"x","start":"s1","steps":[{"id":"s1","type":"send_sms","config":{"body":"hi","bdy":"x"}}]}`:                                                                             "steps[0].config.bdy",
		`{"name":"x","start":"s1","steps":[{"id":"s1","type":"wait","config":{"mode":"delay","duration":5}}]}`:                                                                           "steps[0].config.duration",
		// Valid JSON, though too large for a float: named at its path, not "malformed".
		`{"name":1e400,"start":"s1","steps":[{"id":"s1","type":"end","retry":{"max_attempts":1e400}}]}`: "name",
		`{"name":"x","start":"s1","steps":[{"id":"s1","type":"end"}],"bogus":1e400}`:                    "bogus",
	}
	for body, path := range cases {
		wantPaths(t, v.do(http.MethodPost, "/v1/workflows", body).problem(http.StatusUnprocessableEntity), path)
	}
}

func TestWorkflowBadIDs(t *testing.T) {
	v := newEnv(t)
	for _, id := range []string{"nope", models.NewID()} {
		v.do(http.MethodGet, "/v1/workflows/"+id, nil).problem(http.StatusNotFound)
		v.do(http.MethodPut, "/v1/workflows/"+id, simpleWorkflow("x")).problem(http.StatusNotFound)
		v.do(http.MethodDelete, "/v1/workflows/"+id, nil).problem(http.StatusNotFound)
		v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).problem(http.StatusNotFound)
		v.do(http.MethodPost, "/v1/workflows/"+id+"/draft", nil).problem(http.StatusNotFound)
	}
}

func TestWorkflowList(t *testing.T) {
	v := newEnv(t)
	a := v.createWorkflowAs(v.key, simpleWorkflow("A"))["id"].(string)
	b := v.publishedWorkflowAs(v.key, "B")
	v.createWorkflowAs(v.otherKey, simpleWorkflow("Theirs"))

	list := func(q string) []string {
		var l struct {
			Items []map[string]json.RawMessage `json:"items"`
		}
		v.do(http.MethodGet, "/v1/workflows"+q, nil).expect(http.StatusOK).decode(&l)
		out := []string{}
		for _, it := range l.Items {
			var id string
			json.Unmarshal(it["id"], &id)
			out = append(out, id)
		}
		return out
	}
	if got := list(""); !reflect.DeepEqual(got, []string{a, b}) {
		t.Fatalf("list = %v, want %v", got, []string{a, b})
	}
	if got := list("?status=published"); !reflect.DeepEqual(got, []string{b}) {
		t.Fatalf("published = %v", got)
	}
	if got := list("?status=draft"); !reflect.DeepEqual(got, []string{a}) {
		t.Fatalf("draft = %v", got)
	}
	wantPaths(t, v.do(http.MethodGet, "/v1/workflows?status=live", nil).problem(http.StatusBadRequest), "status")
}

func TestPublishRevalidates(t *testing.T) {
	v := newEnv(t)
	id := v.createWorkflowAs(v.key, simpleWorkflow("A"))["id"].(string)
	// A definition saved before a rule existed is caught on publish.
	v.db.Model(&models.Workflow{}).Where("id = ?", id).Update("definition", []byte(`{"name":"A","start":"s1","steps":[{"id":"s1","type":"teleport"}]}`))
	wantPaths(t, v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).problem(http.StatusUnprocessableEntity), "steps[0].type")
	if n := count[models.WorkflowVersion](t, v.db); n != 0 {
		t.Fatalf("%d versions saved", n)
	}
}

package api

import (
	"net/http"
	"strings"
	"testing"
)

// stepWorkflow saves a one-step workflow and publishes it, expecting code.
func (v *testEnv) stepWorkflow(name string, step map[string]any, code int) (string, *result) {
	v.t.Helper()
	step["id"] = "s1"
	id := v.createWorkflowAs(v.key, map[string]any{"name": name, "start": "s1", "steps": []any{step}})["id"].(string)
	return id, v.do(http.MethodPost, "/v1/workflows/"+id+"/publish", nil).expect(code)
}

func TestRecordsThatPublishedWorkflowsNameCannotBeDeleted(t *testing.T) {
	v := newEnv(t)
	user := v.do(http.MethodPost, "/v1/users", map[string]any{"name": "Grace"}).expect(http.StatusCreated).obj()["id"].(string)
	var p PipelineAnswer
	v.do(http.MethodPost, "/v1/pipelines", map[string]any{"name": "Sales",
		"stages": []any{map[string]any{"name": "Lead"}, map[string]any{"name": "Won"}}}).expect(http.StatusCreated).decode(&p)
	theirUser := v.doAs(v.otherKey, http.MethodPost, "/v1/users", map[string]any{"name": "Eve"}).expect(http.StatusCreated).obj()["id"].(string)

	// Publish refuses what does not exist in the account, by path.
	_, r := v.stepWorkflow("bad", map[string]any{"type": "assign_user", "config": map[string]any{"user_ids": []any{user, theirUser}}},
		http.StatusUnprocessableEntity)
	var bad Problem
	r.decode(&bad)
	wantPaths(t, bad, "steps[0].config.user_ids[1]")
	_, r = v.stepWorkflow("bad", map[string]any{"type": "create_opportunity", "config": map[string]any{"pipeline_id": "nope", "stage_id": p.Stages[1].ID}},
		http.StatusUnprocessableEntity)
	r.decode(&bad)
	wantPaths(t, bad, "steps[0].config.pipeline_id", "steps[0].config.stage_id")

	assigns, _ := v.stepWorkflow("Assigns", map[string]any{"type": "assign_user", "config": map[string]any{"user_ids": []any{user}}}, http.StatusOK)
	wins, _ := v.stepWorkflow("Wins", map[string]any{"type": "update_opportunity",
		"config": map[string]any{"pipeline_id": p.ID, "stage_id": p.Stages[1].ID}}, http.StatusOK)
	target, _ := v.stepWorkflow("Target", map[string]any{"type": "end"}, http.StatusOK)
	adds, _ := v.stepWorkflow("Adds", map[string]any{"type": "add_to_workflow", "config": map[string]any{"workflow_id": target}}, http.StatusOK)

	conflict := func(method, path string, body any, names string, paths ...string) {
		t.Helper()
		pr := v.do(method, path, body).problem(http.StatusConflict)
		if pr.Type != typeConflict || !strings.Contains(pr.Detail, "used by the published workflow") || !namesAll(pr.Detail, names) {
			t.Errorf("%s %s: %+v, want a conflict naming %s", method, path, pr, names)
		}
		if len(pr.Errors) != len(paths) {
			t.Errorf("%s %s: errors %+v, want %v", method, path, pr.Errors, paths)
		}
		wantPaths(t, pr, paths...)
	}
	conflict(http.MethodDelete, "/v1/users/"+user, nil, `"Assigns"`)
	conflict(http.MethodPatch, "/v1/pipelines/"+p.ID, map[string]any{"stages": []any{map[string]any{"id": p.Stages[0].ID, "name": "Lead"}}},
		`"Wins"`, "stages")
	conflict(http.MethodDelete, "/v1/pipelines/"+p.ID, nil, `"Wins"`)
	conflict(http.MethodDelete, "/v1/workflows/"+target, nil, `"Adds"`)
	// Another account's key: not found, as ever.
	v.doAs(v.otherKey, http.MethodDelete, "/v1/users/"+user, nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodDelete, "/v1/workflows/"+target, nil).problem(http.StatusNotFound)

	// Drafts do not block.
	for _, id := range []string{assigns, wins, adds} {
		v.do(http.MethodPost, "/v1/workflows/"+id+"/draft", nil).expect(http.StatusOK)
	}
	v.do(http.MethodDelete, "/v1/users/"+user, nil).expect(http.StatusNoContent)
	v.do(http.MethodPatch, "/v1/pipelines/"+p.ID, map[string]any{"stages": []any{map[string]any{"id": p.Stages[0].ID, "name": "Lead"}}}).
		expect(http.StatusOK)
	v.do(http.MethodDelete, "/v1/pipelines/"+p.ID, nil).expect(http.StatusNoContent)
	v.do(http.MethodDelete, "/v1/workflows/"+target, nil).expect(http.StatusNoContent)
}

// namesAll reports whether detail names every workflow of names (`"A", "B"`),
// each followed by its id in parentheses.
func namesAll(detail, names string) bool {
	for _, n := range strings.Split(names, ", ") {
		if !strings.Contains(detail, n+" (") {
			return false
		}
	}
	return true
}

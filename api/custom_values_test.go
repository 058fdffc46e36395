package api

import (
	"net/http"
	"testing"
)

func TestCustomValuesCRUDAndTenants(t *testing.T) {
	v := newEnv(t)
	p := v.do(http.MethodPost, "/v1/custom-values", map[string]any{"key": "9 lives", "value": nil}).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "key", "value")
	v.do(http.MethodPost, "/v1/custom-values", map[string]any{"key": "x", "value": "y", "other": 1}).problem(http.StatusUnprocessableEntity)

	got := v.do(http.MethodPost, "/v1/custom-values", map[string]any{"key": "office_phone", "value": "+1 415 555 0100"}).
		expect(http.StatusCreated).obj()
	if got["template"] != "{{custom_values.office_phone}}" || got["value"] != "+1 415 555 0100" || got["key"] != "office_phone" {
		t.Fatalf("answer = %v", got)
	}
	// The key is the resource's name: a second create of it conflicts.
	if p := v.do(http.MethodPost, "/v1/custom-values", map[string]any{"key": "office_phone", "value": "x"}).problem(http.StatusConflict); p.Type != typeConflict {
		t.Errorf("conflict type = %q", p.Type)
	}
	// Another account may use the same key, and sees none of ours.
	v.doAs(v.otherKey, http.MethodPost, "/v1/custom-values", map[string]any{"key": "office_phone", "value": "theirs"}).expect(http.StatusCreated)
	v.doAs(v.otherKey, http.MethodDelete, "/v1/custom-values/office_phone", nil).expect(http.StatusNoContent)
	v.doAs(v.otherKey, http.MethodGet, "/v1/custom-values/office_phone", nil).problem(http.StatusNotFound)
	v.doAs(v.otherKey, http.MethodPatch, "/v1/custom-values/office_phone", map[string]any{"value": "mine"}).problem(http.StatusNotFound)
	if items := v.doAs(v.otherKey, http.MethodGet, "/v1/custom-values", nil).expect(http.StatusOK).obj()["items"].([]any); len(items) != 0 {
		t.Errorf("another account lists %v", items)
	}

	if got := v.do(http.MethodGet, "/v1/custom-values/office_phone", nil).expect(http.StatusOK).obj(); got["value"] != "+1 415 555 0100" {
		t.Errorf("ours after the other account deleted theirs = %v", got)
	}
	got = v.do(http.MethodPatch, "/v1/custom-values/office_phone", map[string]any{"value": "+1 415 555 0199"}).expect(http.StatusOK).obj()
	if got["value"] != "+1 415 555 0199" {
		t.Errorf("patched = %v", got)
	}
	wantPaths(t, v.do(http.MethodPatch, "/v1/custom-values/office_phone", map[string]any{"key": "renamed", "value": "x"}).problem(http.StatusUnprocessableEntity), "key")
	wantPaths(t, v.do(http.MethodPatch, "/v1/custom-values/office_phone", map[string]any{}).problem(http.StatusUnprocessableEntity), "value")
	v.do(http.MethodPost, "/v1/custom-values", map[string]any{"key": "offer", "value": ""}).expect(http.StatusCreated)
	list := v.do(http.MethodGet, "/v1/custom-values?limit=1", nil).expect(http.StatusOK).obj()
	if items := list["items"].([]any); len(items) != 1 || list["next_cursor"] == nil {
		t.Errorf("first page = %v", list)
	}
	v.do(http.MethodDelete, "/v1/custom-values/office_phone", nil).expect(http.StatusNoContent)
	v.do(http.MethodGet, "/v1/custom-values/office_phone", nil).problem(http.StatusNotFound)
	v.do(http.MethodDelete, "/v1/custom-values/office_phone", nil).problem(http.StatusNotFound)
}

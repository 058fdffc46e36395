package api

import (
	"net/http"
	"testing"
)

func TestUnknownAndRepeatedQueryParametersAreRefused(t *testing.T) {
	v := newEnv(t)
	v.createContact(map[string]any{"first_name": "Ada"})
	p := v.do(http.MethodGet, "/v1/messages?contactId=x", nil).problem(http.StatusBadRequest)
	wantPaths(t, p, "contactId")
	p = v.do(http.MethodGet, "/v1/contacts?limit=2&limit=3&bogus=1", nil).problem(http.StatusBadRequest)
	wantPaths(t, p, "bogus", "limit")
	v.do(http.MethodGet, "/v1/contacts?limit=2&email=ada@example.com", nil).expect(http.StatusOK)
}

package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestCreateAccount(t *testing.T) {
	v := newEnv(t)
	got := v.doAs(testAdminKey, http.MethodPost, "/v1/accounts", map[string]any{"name": "Bright Smiles"}).
		expect(http.StatusCreated).obj()
	key, _ := got["api_key"].(string)
	if got["name"] != "Bright Smiles" || got["id"] == "" || !strings.HasPrefix(key, "crm_") {
		t.Fatalf("answer = %v", got)
	}
	// The new key opens the new account, and only it.
	c := v.createContactAs(key, map[string]any{"first_name": "Ada"})
	v.do(http.MethodGet, "/v1/contacts/"+c["id"].(string), nil).problem(http.StatusNotFound)
}

func TestCreateAccountAuth(t *testing.T) {
	v := newEnv(t)
	body := map[string]any{"name": "X"}
	v.doAs("", http.MethodPost, "/v1/accounts", body).problem(http.StatusUnauthorized)
	v.doAs("wrong", http.MethodPost, "/v1/accounts", body).problem(http.StatusUnauthorized)
	// An account's own key is not the admin key.
	v.do(http.MethodPost, "/v1/accounts", body).problem(http.StatusUnauthorized)
	if n := count[models.Account](t, v.db); n != 2 {
		t.Fatalf("%d accounts; want the 2 fixtures", n)
	}
}

func TestCreateAccountOffWithoutAdminKey(t *testing.T) {
	v := newEnv(t, func(o *Options) { o.AdminKey = "" })
	v.doAs("", http.MethodPost, "/v1/accounts", map[string]any{"name": "X"}).problem(http.StatusNotFound)
	v.doAs("anything", http.MethodPost, "/v1/accounts", map[string]any{"name": "X"}).problem(http.StatusNotFound)
}

func TestCreateAccountBadInput(t *testing.T) {
	v := newEnv(t)
	post := func(body any) *result { return v.doAs(testAdminKey, http.MethodPost, "/v1/accounts", body) }
	wantPaths(t, post(`{}`).problem(http.StatusUnprocessableEntity), "name")
	wantPaths(t, post(`{"name": "  "}`).problem(http.StatusUnprocessableEntity), "name")
	wantPaths(t, post(`{"name": 3}`).problem(http.StatusUnprocessableEntity), "name")
	wantPaths(t, post(`{"name": "A", "plan": "pro"}`).problem(http.StatusUnprocessableEntity), "plan")
	post(`{"name": `).problem(http.StatusBadRequest)
	if n := count[models.Account](t, v.db); n != 2 {
		t.Fatalf("%d accounts after bad input", n)
	}
}

func TestCreateAccountIdempotentWithoutKeyAtRest(t *testing.T) {
	v := newEnv(t)
	body := map[string]any{"name": "Once"}
	first := v.doAs(testAdminKey, http.MethodPost, "/v1/accounts", body, "Idempotency-Key", "acct-1").expect(http.StatusCreated).obj()
	again := v.doAs(testAdminKey, http.MethodPost, "/v1/accounts", body, "Idempotency-Key", "acct-1").expect(http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("repeat not marked as replayed")
	}
	got := again.obj()
	if got["id"] != first["id"] || got["api_key"] != nil {
		t.Fatalf("replay = %v; want the same account without its key", got)
	}
	if n := count[models.Account](t, v.db, "name = ?", "Once"); n != 1 {
		t.Fatalf("%d accounts created", n)
	}
	var rec models.IdempotencyRecord
	v.db.Where("key = ?", "acct-1").First(&rec)
	if strings.Contains(string(rec.Body), first["api_key"].(string)) {
		t.Fatal("the API key is stored in plain text in idempotency_records")
	}
}

// Each key reads its own account, whose id the provider webhook URLs need.
func TestGetAccountAnswersTheCallersOwn(t *testing.T) {
	v := newEnv(t)
	got := v.do(http.MethodGet, "/v1/account", nil).expect(http.StatusOK).obj()
	var acct models.Account
	if err := v.db.First(&acct, "id = ?", got["id"]).Error; err != nil {
		t.Fatalf("answer %v names no account: %v", got, err)
	}
	other := v.doAs(v.otherKey, http.MethodGet, "/v1/account", nil).expect(http.StatusOK).obj()
	if other["id"] == got["id"] || got["timezone"] != acct.Timezone {
		t.Errorf("accounts: %v and %v", got, other)
	}
	v.doAs("", http.MethodGet, "/v1/account", nil).problem(http.StatusUnauthorized)
}

package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/models"
)

func TestIdempotentCreate(t *testing.T) {
	v := newEnv(t)
	body := map[string]any{"first_name": "Ada", "email": "ada@example.com"}
	first := v.do(http.MethodPost, "/v1/contacts", body, "Idempotency-Key", "k1").expect(http.StatusCreated)
	again := v.do(http.MethodPost, "/v1/contacts", body, "Idempotency-Key", "k1").expect(http.StatusCreated)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	// Key order and whitespace do not make it another request.
	v.do(http.MethodPost, "/v1/contacts", `{ "email": "ada@example.com",  "first_name": "Ada" }`, "Idempotency-Key", "k1").
		expect(http.StatusCreated)
	if n := count[models.Contact](t, v.db); n != 1 {
		t.Fatalf("%d contacts created; want 1", n)
	}
	if n := count[models.Event](t, v.db, "type = ?", "contact_created"); n != 1 {
		t.Fatalf("%d contact_created events; want 1", n)
	}

	// Same key, different body, method or path: 422, nothing created.
	p := v.do(http.MethodPost, "/v1/contacts", map[string]any{"first_name": "Bob"}, "Idempotency-Key", "k1").
		problem(http.StatusUnprocessableEntity)
	if p.Type != typeIdemReused {
		t.Fatalf("type = %q", p.Type)
	}
	wantPaths(t, p, "Idempotency-Key")
	v.do(http.MethodPost, "/v1/workflows", simpleWorkflow("x"), "Idempotency-Key", "k1").problem(http.StatusUnprocessableEntity)
	if n := count[models.Contact](t, v.db); n != 1 {
		t.Fatalf("%d contacts after reuse; want 1", n)
	}
	if n := count[models.Workflow](t, v.db); n != 0 {
		t.Fatalf("%d workflows after reuse; want 0", n)
	}

	// Keys are per account: the other account's k1 is its own.
	v.doAs(v.otherKey, http.MethodPost, "/v1/contacts", map[string]any{"first_name": "Bob"}, "Idempotency-Key", "k1").
		expect(http.StatusCreated)
}

func TestIdempotentErrorsAndDeletes(t *testing.T) {
	v := newEnv(t)
	// A rejected request's answer is kept too: the repeat is rejected the same way.
	bad := `{"email": "nope"}`
	a := v.do(http.MethodPost, "/v1/contacts", bad, "Idempotency-Key", "bad").problem(http.StatusUnprocessableEntity)
	b := v.do(http.MethodPost, "/v1/contacts", bad, "Idempotency-Key", "bad").problem(http.StatusUnprocessableEntity)
	if a.Detail != b.Detail {
		t.Fatal("replayed problem differs")
	}

	id := v.createContact(map[string]any{"first_name": "Ada"})["id"].(string)
	v.do(http.MethodDelete, "/v1/contacts/"+id, nil, "Idempotency-Key", "del").expect(http.StatusNoContent)
	// Without the key the second delete is a 404; with it, the first answer.
	r := v.do(http.MethodDelete, "/v1/contacts/"+id, nil, "Idempotency-Key", "del").expect(http.StatusNoContent)
	if len(r.Body) != 0 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed delete: %q", r.Body)
	}
}

func TestIdempotencyInFlight(t *testing.T) {
	v := newEnv(t)
	body := map[string]any{"first_name": "Ada"}
	// The first request holds the key (claimed, not finished).
	rec := models.IdempotencyRecord{AccountID: v.acct.ID, Key: "busy", Method: http.MethodPost, Path: "/v1/contacts",
		RequestHash: "whatever"}
	if err := v.db.Create(&rec).Error; err != nil {
		t.Fatal(err)
	}
	// Same request or not, a repeat while it runs is 409 and runs nothing.
	v.db.Model(&models.IdempotencyRecord{}).Where(recordID(&rec)).Update("request_hash", hashOf(t, body))
	p := v.do(http.MethodPost, "/v1/contacts", body, "Idempotency-Key", "busy").problem(http.StatusConflict)
	if p.Type != typeIdemInFlight {
		t.Fatalf("type = %q", p.Type)
	}
	if n := count[models.Contact](t, v.db); n != 0 {
		t.Fatalf("%d contacts created while the key was in flight", n)
	}

	// A claim abandoned by a crashed process is taken over after a while.
	v.db.Model(&models.IdempotencyRecord{}).Where(recordID(&rec)).Update("created_at", time.Now().UTC().Add(-time.Hour))
	v.do(http.MethodPost, "/v1/contacts", body, "Idempotency-Key", "busy").expect(http.StatusCreated)
	v.do(http.MethodPost, "/v1/contacts", body, "Idempotency-Key", "busy").expect(http.StatusCreated)
	if n := count[models.Contact](t, v.db); n != 1 {
		t.Fatalf("%d contacts; want 1", n)
	}
}

// hashOf is the request hash the middleware computes for POST /v1/contacts with body.
func hashOf(t *testing.T, body map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return requestHash(httptest.NewRequest(http.MethodPost, "/v1/contacts", nil), raw)
}

func TestIdempotencyServerErrorsNotStored(t *testing.T) {
	v := newEnv(t)
	calls := 0
	v.e.POST("/flaky", func(c echo.Context) error {
		calls++
		if calls == 1 {
			return errors.New("database exploded")
		}
		return c.JSON(http.StatusCreated, map[string]int{"call": calls})
	}, v.srv.authenticate, v.srv.idempotent)
	v.do(http.MethodPost, "/flaky", `{}`, "Idempotency-Key", "f").problem(http.StatusInternalServerError)
	got := v.do(http.MethodPost, "/flaky", `{}`, "Idempotency-Key", "f").expect(http.StatusCreated).obj()
	again := v.do(http.MethodPost, "/flaky", `{}`, "Idempotency-Key", "f").expect(http.StatusCreated).obj()
	if got["call"] != 2.0 || again["call"] != 2.0 || calls != 2 {
		t.Fatalf("calls = %d, answers %v %v", calls, got, again)
	}

	// A panic frees the key as well.
	v.e.POST("/panicky", func(c echo.Context) error { panic("boom") }, v.srv.authenticate, v.srv.idempotent)
	v.do(http.MethodPost, "/panicky", `{}`, "Idempotency-Key", "p").problem(http.StatusInternalServerError)
	if n := count[models.IdempotencyRecord](t, v.db, "key = ?", "p"); n != 0 {
		t.Fatalf("a panicking request left its key claimed")
	}
}

func TestIdempotencyKeyTooLong(t *testing.T) {
	v := newEnv(t)
	p := v.do(http.MethodPost, "/v1/contacts", `{"first_name": "A"}`, "Idempotency-Key", strings.Repeat("k", 256)).
		problem(http.StatusBadRequest)
	wantPaths(t, p, "Idempotency-Key")
}

// TestIdempotencyConcurrentRepeats: repeats racing the first request create
// one contact; each answers the first answer or 409, never a second contact.
func TestIdempotencyConcurrentRepeats(t *testing.T) {
	v := newEnv(t)
	body := `{"first_name": "Ada"}`
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/v1/contacts", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+v.key)
			req.Header.Set("Idempotency-Key", "race")
			rec := httptest.NewRecorder()
			v.e.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusCreated && code != http.StatusConflict {
			t.Errorf("status %d; want 201 or 409", code)
		}
	}
	if got := count[models.Contact](t, v.db); got != 1 {
		t.Fatalf("%d contacts created; want 1", got)
	}
}

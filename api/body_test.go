package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

func TestCheckShape(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type doc struct {
		S    string          `json:"s"`
		F    float64         `json:"f"`
		I    *int            `json:"i"`
		L    []inner         `json:"l"`
		M    map[string]any  `json:"m"`
		Raw  json.RawMessage `json:"raw"`
		Skip string          `json:"-"`
		Bare string
	}
	cases := map[string][]string{
		`{"s": "a", "f": 1.5, "i": 2, "l": [{"n": 1}], "m": {"a": [1]}, "raw": [1, "x"], "Bare": "b"}`: nil,
		`{"s": null, "i": null, "l": null}`:            nil,
		`{"i": 1.5}`:                                   {"i"},
		`{"f": "1"}`:                                   {"f"},
		`{"l": [{"n": 1}, {"n": "2"}, {"m": 1}]}`:      {"l[1].n", "l[2].m"},
		`{"l": {}}`:                                    {"l"},
		`{"m": []}`:                                    {"m"},
		`{"Skip": "x", "-": 1, "bare": "case"}`:        {"-", "Skip", "bare"},
		`{"s": {"nested": true}, "unknown": {"x": 1}}`: {"s", "unknown"},
	}
	for in, want := range cases {
		var v any
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		var errs validation.Errors
		errs = validation.Shape(v, reflect.TypeFor[doc]())
		var got []string
		for _, e := range errs {
			got = append(got, e.Path)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: faults at %v, want %v (%v)", in, got, want, errs)
		}
	}
}

func TestNonJSONBodiesAreRefused(t *testing.T) {
	v := newEnv(t)
	v.do(http.MethodPost, "/v1/contacts", `{"first_name":"Ada"}`, "Content-Type", "text/plain").problem(http.StatusUnsupportedMediaType)
	v.do(http.MethodPost, "/v1/contacts", `first_name=Ada`, "Content-Type", "application/x-www-form-urlencoded").problem(http.StatusUnsupportedMediaType)
	v.do(http.MethodPost, "/v1/contacts", `{"first_name":"Ada"}`, "Content-Type", "application/json; charset=utf-8").expect(http.StatusCreated)
	if n := count[models.Contact](t, v.db); n != 1 {
		t.Fatalf("%d contacts, want only the JSON one", n)
	}
}

// A key given twice would lose one of its values without a word: it is
// refused where it stands, and nothing is saved.
func TestKeysGivenTwiceAreRefused(t *testing.T) {
	v := newEnv(t)
	p := v.do(http.MethodPost, "/v1/contacts", `{"first_name": "Ada", "first_name": "Bea", "custom": {"plan": "a", "plan": "b"}}`).
		problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "first_name", "custom.plan")
	p = v.do(http.MethodPost, "/v1/workflows", `{"name": "x", "name": "y", "triggers": [], "start": "a",
		"steps": [{"id": "a", "type": "add_tag", "config": {"tags": ["t"], "tags": ["u"]}}]}`).problem(http.StatusUnprocessableEntity)
	wantPaths(t, p, "name", "steps[0].config.tags")
	if n := count[models.Contact](t, v.db) + count[models.Workflow](t, v.db); n != 0 {
		t.Errorf("%d rows saved", n)
	}
}

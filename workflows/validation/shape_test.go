package validation

import (
	"encoding/json"
	"reflect"
	"testing"
)

type pruneItem struct {
	N int    `json:"n"`
	S string `json:"s"`
}

type pruneDoc struct {
	Items []pruneItem     `json:"items"`
	Names []string        `json:"names"`
	Tags  map[string]bool `json:"tags"`
}

// Prune names what Shape names and leaves out exactly that: faulty list
// items become null so the others keep their indexes. Shape changes nothing.
func TestPruneLeavesOutWhatShapeFaults(t *testing.T) {
	raw := []byte(`{"items":[{"n":"1","s":"a"},5,{"n":2,"x":1}],"names":["a",1,"c"],"tags":{"a":true,"b":"no"},"other":1}`)
	v, _ := Decode(raw)
	shapeErrs := Shape(v, reflect.TypeFor[pruneDoc]())
	untouched, _ := json.Marshal(v)
	pruned, errs := Prune(v, reflect.TypeFor[pruneDoc]())
	if !reflect.DeepEqual(errs, shapeErrs) || len(errs) != 6 {
		t.Errorf("Prune faults %v, Shape faults %v", errs, shapeErrs)
	}
	if string(untouched) != string(mustJSON(t, raw)) {
		t.Errorf("Shape changed the value: %s", untouched)
	}
	if got, want := string(mustJSON(t, pruned)), `{"items":[{"s":"a"},null,{"n":2}],"names":["a",null,"c"],"tags":{"a":true}}`; got != want {
		t.Errorf("pruned = %s, want %s", got, want)
	}
	if v, errs := Prune([]any{1}, reflect.TypeFor[pruneDoc]()); v != nil || len(errs) != 1 || errs[0].Path != "" {
		t.Errorf("a list for an object: %v, %v", v, errs)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	if raw, ok := v.([]byte); ok {
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			t.Fatal(err)
		}
		v = x
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

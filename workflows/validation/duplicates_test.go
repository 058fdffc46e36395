package validation

import (
	"reflect"
	"testing"
)

func TestDuplicateKeysAreNamedWhereTheyStand(t *testing.T) {
	got := DuplicateKeys([]byte(`{"name": "a", "steps": [{"id": "s", "config": {"body": "x", "body": "y"}}, {"id": "t", "id": "u"}],
		"name": "b", "x": {"name": 1}}`))
	var paths []string
	for _, e := range got {
		paths = append(paths, e.Path)
	}
	if want := []string{"steps[0].config.body", "steps[1].id", "name"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if DuplicateKeys([]byte(`{"a": 1, "b": {"a": 2}}`)) != nil || DuplicateKeys([]byte(`{"a": `)) != nil {
		t.Error("no duplicates, or malformed JSON, named some")
	}
}

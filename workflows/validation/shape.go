package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Shape checks a decoded JSON value (from Decode, or json.Unmarshal into
// any) against the Go type it will be decoded into, and names every fault by
// its full path: unknown fields, and values of the wrong JSON type.
func Shape(v any, t reflect.Type) Errors {
	var errs Errors
	checkShape("", v, t, &errs)
	return errs
}

// checkShape walks a decoded JSON value beside the Go type it will be
// decoded into. encoding/json names neither the path of an unknown nested
// field nor more than one fault, which is what API users need.
func checkShape(path string, v any, t reflect.Type, errs *Errors) {
	if v == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return // decodes itself (json.RawMessage...): its owner checks it
	}
	fail := func(want string) {
		*errs = append(*errs, FieldError{Path: path, Message: fmt.Sprintf("must be %s, not %s", want, JSONType(v))})
	}
	switch t.Kind() {
	case reflect.Interface:
		// any value
	case reflect.String:
		if _, ok := v.(string); !ok {
			fail("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			fail("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch n := v.(type) {
		case float64:
			if n != math.Trunc(n) {
				fail("an integer")
			}
		case json.Number: // encoding/json takes only plain digits into an integer
			if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
				*errs = append(*errs, FieldError{Path: path, Message: fmt.Sprintf("must be an integer written with digits only (like 50), not %s", n)})
			}
		default:
			fail("an integer")
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case float64, json.Number:
		default:
			fail("a number")
		}
	case reflect.Slice, reflect.Array:
		items, ok := v.([]any)
		if !ok {
			fail("a list")
			return
		}
		for i, item := range items {
			checkShape(fmt.Sprintf("%s[%d]", path, i), item, t.Elem(), errs)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			fail("an object")
			return
		}
		for _, k := range sortedKeys(obj) {
			checkShape(JoinPath(path, k), obj[k], t.Elem(), errs)
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			fail("an object")
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			f, known := fields[k]
			if !known {
				*errs = append(*errs, FieldError{Path: JoinPath(path, k), Message: "unknown field"})
				continue
			}
			checkShape(JoinPath(path, k), obj[k], f.Type, errs)
		}
	}
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// jsonFields maps the JSON names of a struct's fields to the fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Decode reads JSON for Shape, keeping numbers as written (json.Number), so
// that Shape can tell 50 from 50.0, which encoding/json refuses for an integer.
func Decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// JoinPath appends a key or an index ("[2]") to a JSON path.
func JoinPath(prefix, key string) string { return join(prefix, key) }

// JSONType names the JSON type of a decoded value, for messages.
func JSONType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

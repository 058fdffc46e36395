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
	w := shapeWalk{}
	w.check("", v, t)
	return w.errs
}

// Prune is Shape that also takes what it faults out of v, a value from
// Decode that it changes in place: unknown fields and wrongly typed values
// are deleted from objects, and wrongly typed list items become null (the
// other items keep their indexes). What is left decodes as if the faulty
// values had been omitted, so that callers can go on checking the rest and
// name every fault at once. The value itself is returned as nil when it
// has the wrong type.
func Prune(v any, t reflect.Type) (any, Errors) {
	w := shapeWalk{prune: true}
	if !w.check("", v, t) {
		v = nil
	}
	return v, w.errs
}

type shapeWalk struct {
	errs  Errors
	prune bool
}

// check walks a decoded JSON value beside the Go type it will be decoded
// into. encoding/json names neither the path of an unknown nested field nor
// more than one fault, which is what API users need. It reports whether v
// itself has the right JSON type (faults inside it do not count).
func (w *shapeWalk) check(path string, v any, t reflect.Type) bool {
	if v == nil {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return true // decodes itself (json.RawMessage...): its owner checks it
	}
	fail := func(want string) bool {
		w.errs = append(w.errs, FieldError{Path: path, Message: fmt.Sprintf("must be %s, not %s", want, JSONType(v))})
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		// any value
	case reflect.String:
		if _, ok := v.(string); !ok {
			return fail("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return fail("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch n := v.(type) {
		case float64:
			if n != math.Trunc(n) {
				return fail("an integer")
			}
		case json.Number: // encoding/json takes only plain digits into an integer
			if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
				w.errs = append(w.errs, FieldError{Path: path, Message: fmt.Sprintf("must be an integer written with digits only (like 50), not %s", n)})
				return false
			}
		default:
			return fail("an integer")
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case float64, json.Number:
		default:
			return fail("a number")
		}
	case reflect.Slice, reflect.Array:
		items, ok := v.([]any)
		if !ok {
			return fail("a list")
		}
		for i, item := range items {
			if !w.check(fmt.Sprintf("%s[%d]", path, i), item, t.Elem()) && w.prune {
				items[i] = nil
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return fail("an object")
		}
		for _, k := range sortedKeys(obj) {
			if !w.check(JoinPath(path, k), obj[k], t.Elem()) && w.prune {
				delete(obj, k)
			}
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return fail("an object")
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			f, known := fields[k]
			if !known {
				w.errs = append(w.errs, FieldError{Path: JoinPath(path, k), Message: unknownField(k, fields)})
				if w.prune {
					delete(obj, k)
				}
				continue
			}
			if !w.check(JoinPath(path, k), obj[k], f.Type) && w.prune {
				delete(obj, k)
			}
		}
	}
	return true
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

// unknownField names an unknown key, suggesting the field it differs from
// only by case ("Body" for body): keys are matched exactly.
func unknownField[F any](k string, fields map[string]F) string {
	for name := range fields {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf(didYouMean, name)
		}
	}
	return "unknown field"
}

const didYouMean = "unknown field: did you mean %q?"

// IsUnknownField reports whether e names an unknown field.
func IsUnknownField(e FieldError) bool { return strings.HasPrefix(e.Message, "unknown field") }

// Meant returns, for an unknown field that differs from a field only by
// case, the field the user meant, as a sibling key of e.Path ("Next" at
// steps[0].Next gives "next"). That field counts as refused, not missing:
// no "is required", nor the steps it points at called unreachable.
func Meant(e FieldError) (string, bool) {
	var name string
	if _, err := fmt.Sscanf(e.Message, didYouMean, &name); err != nil || name == "" {
		return "", false
	}
	return name, true
}

package history

import (
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// Bounds of an output summary: a log page stays small however much a step
// returned (a webhook's whole response body); the full output is in
// GET /v1/enrollments/{id}.
const (
	summaryMaxKeys   = 16
	summaryMaxString = 200 // characters of a string value
	summaryMaxValue  = 256 // bytes of a nested value's JSON
)

// Summarize bounds a step's output: at most 16 keys (in name order), strings
// cut to 200 characters, and nested objects or arrays whose JSON exceeds 256
// bytes replaced by a note of their size. It reports whether anything was cut.
func Summarize(out map[string]any) (map[string]any, bool) {
	if out == nil {
		return nil, false
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cut := false
	if len(keys) > summaryMaxKeys {
		keys, cut = keys[:summaryMaxKeys], true
	}
	sum := make(map[string]any, len(keys))
	for _, k := range keys {
		v, c := summarizeValue(out[k])
		sum[k], cut = v, cut || c
	}
	return sum, cut
}

func summarizeValue(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) <= summaryMaxString {
			return x, false
		}
		return string([]rune(x)[:summaryMaxString]) + "…", true
	case map[string]any:
		if b, err := json.Marshal(x); err == nil && len(b) <= summaryMaxValue {
			return x, false
		}
		return fmt.Sprintf("(object with %d keys)", len(x)), true
	case []any:
		if b, err := json.Marshal(x); err == nil && len(b) <= summaryMaxValue {
			return x, false
		}
		return fmt.Sprintf("(list of %d items)", len(x)), true
	}
	return v, false
}

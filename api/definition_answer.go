package api

import (
	"encoding/json"
	"fmt"
)

// definitionFields is a stored definition as answers show it: exactly the
// saved fields, with absent lists as [] and an unset settings.timezone
// left out. Stored definitions keep timezone "" (the account's); showing
// "" would name no documented value, and a GET answer sent back still
// saves the same bytes.
func definitionFields(raw []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	for _, k := range []string{"triggers", "steps"} {
		if v, ok := out[k]; !ok || string(v) == "null" {
			out[k] = json.RawMessage("[]")
		}
	}
	if s, ok := out["settings"]; ok {
		var settings map[string]json.RawMessage
		if err := json.Unmarshal(s, &settings); err == nil && string(settings["timezone"]) == `""` {
			delete(settings, "timezone")
			b, err := json.Marshal(settings)
			if err != nil {
				return nil, fmt.Errorf("encoding settings: %w", err)
			}
			out["settings"] = b
		}
	}
	return out, nil
}

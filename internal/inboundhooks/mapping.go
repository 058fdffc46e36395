package inboundhooks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/triggers"
)

// mapContact reads the contact's fields out of a payload: the trigger's
// mapping first, then the payload's own email, phone, first_name and
// last_name for fields the mapping does not name. Empty values are left
// out, so a payload never blanks a field of a known contact. A payload with
// neither an email nor a phone is a rejection: there is no one to enroll.
func mapContact(payload map[string]any, mapping map[string]string, region string) (contacts.Input, error) {
	var in contacts.Input
	fields := map[string]string{}
	for f, p := range triggers.DefaultMapping {
		fields[f] = p
	}
	for f, p := range mapping {
		fields[f] = p
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		v, ok := lookup(payload, fields[f])
		if !ok || v == nil {
			continue
		}
		if key, isCustom := strings.CutPrefix(f, "custom."); isCustom {
			if in.Custom == nil {
				in.Custom = map[string]any{}
			}
			in.Custom[key] = v
			continue
		}
		s := text(v)
		if s == "" {
			continue
		}
		switch f {
		case "first_name":
			in.FirstName = &s
		case "last_name":
			in.LastName = &s
		case "email":
			e := strings.ToLower(s)
			in.Email = &e
		case "phone":
			// Normalised here so the lookup by phone finds the stored E.164;
			// a bad number is left for the contacts service to name.
			if p, err := contacts.NormalizePhone(s, region); err == nil {
				s = p
			}
			in.Phone = &s
		case "timezone":
			in.Timezone = &s
		case "date_of_birth":
			in.DateOfBirth = &s
		}
	}
	if in.Email == nil && in.Phone == nil {
		return in, reject(http.StatusUnprocessableEntity, "the payload has neither an email nor a phone (read from %q and %q): there is no contact to create or update",
			fields["email"], fields["phone"])
	}
	return in, nil
}

// lookup follows a path ("lead.items[0].name") into a payload.
func lookup(payload map[string]any, path string) (any, bool) {
	return condition.LookupSegments(payload, triggers.PayloadPath(path))
}

// text is a payload value as a contact field's text.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

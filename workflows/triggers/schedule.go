package triggers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // exact zones on machines without a zoneinfo database

	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// Scheduled is a trigger fired by a Temporal Schedule (a time of day, a
// date) rather than by events: publishing the workflow creates a schedule
// for each such trigger (internal/schedules) and drafting removes it.
type Scheduled interface {
	Kind
	// Scheduled marks the kind; it has no other use.
	Scheduled()
}

// IsScheduled reports whether a trigger type runs on a schedule.
func IsScheduled(typ string) bool {
	k, ok := Lookup(typ)
	if !ok {
		return false
	}
	_, ok = k.(Scheduled)
	return ok
}

// Clock is a time of day, "HH:MM" on the 24-hour clock.
type Clock struct{ Hour, Minute int }

// ParseClock reads "HH:MM".
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return Clock{}, fmt.Errorf("%q is not a time of day as HH:MM (24-hour clock, e.g. 09:00)", s)
	}
	return Clock{Hour: t.Hour(), Minute: t.Minute()}, nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// reached reports whether a wall-clock time is at or past c. Comparing
// wall clocks (not instants) keeps daylight-saving days exact: on a day
// without 02:30, 03:00 is past it; on a day with two 01:30s, both are.
func (c Clock) reached(t time.Time) bool {
	return t.Hour() > c.Hour || (t.Hour() == c.Hour && t.Minute() >= c.Minute)
}

// decodeScheduleConfig decodes a scheduled trigger's config strictly, so a
// typo never silently does nothing; faults are named at config.<field>.
func decodeScheduleConfig(p *validation.Problems, raw json.RawMessage, dst any) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			p.Add("config."+te.Field, "must not be a JSON %s", te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			p.Add("config."+strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		default:
			p.Add("config", "must be an object: %v", err)
		}
		return false
	}
	return true
}

// Zone resolves a workflow's settings.timezone for a scheduled trigger as
// steps resolve it (calendar.Zone). perContact says the zone depends on the
// contact ("contact"), which decides how often the schedule checks.
func Zone(setting, accountZone, contactZone string) (loc *time.Location, perContact bool) {
	return calendar.Zone(setting, contactZone, accountZone), setting == "contact"
}

// decode reads a validated trigger's config into dst.
func decode(t *definition.Trigger, dst any) error {
	raw := bytes.TrimSpace(t.Config)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("reading config of trigger %s: %w", t.ID, err)
	}
	return nil
}

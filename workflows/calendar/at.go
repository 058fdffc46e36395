package calendar

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// localLayouts are the wall-clock forms of a wait-until's "at", read in the
// workflow's zone. A bare date means 00:00 local that day (the first
// instant of the day if the clocks skip midnight).
var localLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

const atForms = "use RFC 3339 with an offset (2026-03-08T09:00:00-05:00, 2026-03-08T14:00:00Z), " +
	"a local time (2026-03-08T09:00:00, 2026-03-08T09:00, 2026-03-08 09:00) " +
	"or a date (2026-03-08, meaning 00:00 local)"

// ParseAt reads the "at" of a wait-until. RFC 3339 with an offset names an
// instant and is taken as is (keeping its offset); the other forms are wall
// clock in loc, an ambiguous time meaning its first occurrence and a skipped
// one pushed later by the gap (see the package comment). Surrounding spaces
// are ignored.
func ParseAt(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("the time is empty: " + atForms)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		// time.Parse hands back time.Local when the offset matches the
		// machine's zone; a fixed zone keeps the result the same everywhere.
		if _, off := t.Zone(); off != 0 {
			return t.In(time.FixedZone("", off)), nil
		}
		return t.UTC(), nil
	}
	for _, layout := range localLayouts {
		if wall, err := time.Parse(layout, s); err == nil {
			return resolve(orUTC(loc), wall), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: %s", s, atForms)
}

// AddDays is t's wall-clock time in loc, days calendar days later (earlier
// if negative): a one-day wait across a daylight-saving change keeps 09:00 at
// 09:00, so it lasts 23 or 25 hours. A result the clocks skip or repeat is
// resolved as in the package comment. The result is in loc.
func AddDays(t time.Time, days int, loc *time.Location) time.Time {
	loc = orUTC(loc)
	if days == 0 {
		return t.In(loc) // resolving again could move the second of two 01:30s
	}
	wall := wallOf(t, loc)
	return resolve(loc, wall.AddDate(0, 0, days))
}

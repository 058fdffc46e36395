package steps

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/calendar"
)

// dateLayouts are the date and time forms data steps read, most precise
// first. Forms without an offset are read in the zone the step says
// (UTC unless told otherwise).
var dateLayouts = []struct {
	layout   string
	dateOnly bool
}{
	{time.RFC3339Nano, false},
	{"2006-01-02T15:04:05Z0700", false},
	{"2006-01-02 15:04:05Z07:00", false},
	{"2006-01-02 15:04:05 -0700 MST", false}, // Go's own time.String, in case a value carries it
	{"2006-01-02T15:04:05", false},
	{"2006-01-02 15:04:05", false},
	{"2006-01-02T15:04", false},
	{"2006-01-02 15:04", false},
	{time.DateOnly, true},
	{"2006/01/02", true},
	{time.RFC1123Z, false},
	{time.RFC1123, false},
}

// parseTime reads a date or a date-time. dateOnly tells a calendar date
// ("2026-01-31") from an instant, so arithmetic and formatting can keep it
// a date.
func parseTime(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l.layout, s, loc); err == nil {
			return t, l.dateOnly, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date or time (use 2026-01-31 or 2026-01-31T09:30:00Z)", s)
}

// formatTime writes a result date: a calendar date stays "2026-02-28", an
// instant is RFC 3339 in its own offset.
func formatTime(t time.Time, dateOnly bool) string {
	if dateOnly {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// addMonths adds calendar months, keeping the day but never spilling into
// the next month: January 31 plus one month is February 28 (or 29), not
// March 3 as time.AddDate would have it.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	if last := daysIn(first.Year(), first.Month()); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(first.Year(), first.Month(), d, hh, mm, ss, t.Nanosecond(), t.Location())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// loadZone reads an IANA zone name; "" is UTC.
func loadZone(name string) (*time.Location, error) {
	if strings.TrimSpace(name) == "" {
		return time.UTC, nil
	}
	// "Local" would be the worker machine's zone, which differs between workers.
	if !calendar.Known(name) {
		return nil, fmt.Errorf("unknown timezone %q: use an IANA name such as America/New_York", name)
	}
	return calendar.Zone(name, "", ""), nil
}

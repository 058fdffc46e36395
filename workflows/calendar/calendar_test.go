package calendar

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// local reads an unambiguous wall-clock time in loc, for setting up cases.
func local(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func win(days string, start, end string) definition.TimeWindow {
	w := definition.TimeWindow{Start: start, End: end}
	if days != "" {
		w.Days = strings.Split(days, ",")
	}
	return w
}

const weekdaysOnly = "mon,tue,wed,thu,fri"

func TestNextOpening(t *testing.T) {
	ny, berlin := zone(t, "America/New_York"), zone(t, "Europe/Berlin")
	cases := []struct {
		name   string
		w      definition.TimeWindow
		loc    *time.Location
		at     time.Time // when asked
		want   time.Time // as UTC, so a wrong offset shows
		inside bool      // at is inside: want is at itself
	}{
		// New York, spring forward on Sunday 2026-03-08 at 02:00 EST.
		{name: "weekend to Monday across spring forward opens at 09:00 EDT",
			w: win(weekdaysOnly, "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-03-07 18:00"), want: utc(t, "2026-03-09T13:00:00Z")},
		{name: "every day: Sunday after spring forward",
			w: win("", "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-03-07 18:00"), want: utc(t, "2026-03-08T13:00:00Z")},
		{name: "inside", w: win(weekdaysOnly, "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-03-09 10:00"), inside: true},
		{name: "at start is inside", w: win(weekdaysOnly, "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-03-09 09:00"), inside: true},
		{name: "at end is outside: next day",
			w: win(weekdaysOnly, "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-03-09 17:00"), want: utc(t, "2026-03-10T13:00:00Z")},
		{name: "a second before start",
			w: win(weekdaysOnly, "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-03-09 09:00").Add(-time.Second), want: utc(t, "2026-03-09T13:00:00Z")},
		{name: "start in the gap opens when the clocks land",
			w: win("", "02:30", "04:00"), loc: ny, at: local(t, ny, "2026-03-07 12:00"), want: utc(t, "2026-03-08T07:00:00Z")},
		{name: "window wholly in the gap on its only day: the week after",
			w: win("sun", "02:00", "02:30"), loc: ny, at: local(t, ny, "2026-03-01 03:00"), want: utc(t, "2026-03-15T06:00:00Z")},
		// New York, fall back on Sunday 2026-11-01 at 02:00 EDT to 01:00 EST.
		{name: "ambiguous start opens at the first occurrence",
			w: win("", "01:30", "03:00"), loc: ny, at: local(t, ny, "2026-10-31 12:00"), want: utc(t, "2026-11-01T05:30:00Z")},
		{name: "between the two occurrences opens at the second",
			w: win("", "01:30", "01:45"), loc: ny, at: utc(t, "2026-11-01T05:50:00Z"), want: utc(t, "2026-11-01T06:30:00Z")},
		{name: "clocks going back re-enter the window",
			w: win("", "00:30", "01:20"), loc: ny, at: utc(t, "2026-11-01T05:30:00Z"), want: utc(t, "2026-11-01T06:00:00Z")},
		{name: "Friday evening to Monday across fall back opens at 09:00 EST",
			w: win(weekdaysOnly, "09:00", "17:00"), loc: ny, at: local(t, ny, "2026-10-30 17:30"), want: utc(t, "2026-11-02T14:00:00Z")},
		// Berlin, spring forward on Sunday 2026-03-29 at 02:00 CET.
		{name: "Berlin Friday to Monday across spring forward opens at 09:00 CEST",
			w: win(weekdaysOnly, "09:00", "17:00"), loc: berlin, at: local(t, berlin, "2026-03-27 18:00"), want: utc(t, "2026-03-30T07:00:00Z")},
		{name: "Berlin start in the gap",
			w: win("sun", "02:15", "05:00"), loc: berlin, at: local(t, berlin, "2026-03-28 12:00"), want: utc(t, "2026-03-29T01:00:00Z")},
		// Berlin, fall back on Sunday 2026-10-25 at 03:00 CEST to 02:00 CET.
		{name: "Berlin ambiguous start opens at the first occurrence",
			w: win("", "02:30", "04:00"), loc: berlin, at: local(t, berlin, "2026-10-24 12:00"), want: utc(t, "2026-10-25T00:30:00Z")},
		{name: "Berlin between the two occurrences",
			w: win("", "02:10", "02:20"), loc: berlin, at: utc(t, "2026-10-25T00:30:00Z"), want: utc(t, "2026-10-25T01:10:00Z")},
		{name: "Berlin Friday to Monday across fall back opens at 09:00 CET",
			w: win(weekdaysOnly, "09:00", "17:00"), loc: berlin, at: local(t, berlin, "2026-10-23 17:00"), want: utc(t, "2026-10-26T08:00:00Z")},
		// Overnight windows: days name the evening the window opens.
		{name: "overnight: Friday before it opens", w: win("fri", "22:00", "06:00"), loc: time.UTC,
			at: utc(t, "2026-01-09T21:00:00Z"), want: utc(t, "2026-01-09T22:00:00Z")},
		{name: "overnight: after midnight is inside", w: win("fri", "22:00", "06:00"), loc: time.UTC,
			at: utc(t, "2026-01-10T03:00:00Z"), inside: true},
		{name: "overnight: at the morning end, a week later", w: win("fri", "22:00", "06:00"), loc: time.UTC,
			at: utc(t, "2026-01-10T06:00:00Z"), want: utc(t, "2026-01-16T22:00:00Z")},
		{name: "overnight: a listed day's early morning is not inside", w: win("fri", "22:00", "06:00"), loc: time.UTC,
			at: utc(t, "2026-01-09T05:00:00Z"), want: utc(t, "2026-01-09T22:00:00Z")},
		{name: "overnight across spring forward, inside", w: win("sat", "22:00", "06:00"), loc: ny,
			at: local(t, ny, "2026-03-08 05:00"), inside: true},
		{name: "overnight across spring forward, after it closes", w: win("sat", "22:00", "06:00"), loc: ny,
			at: local(t, ny, "2026-03-08 06:00"), want: utc(t, "2026-03-15T02:00:00Z")},
		{name: "end 00:00 means midnight: inside at 23:59", w: win("mon", "20:00", "00:00"), loc: time.UTC,
			at: utc(t, "2026-01-05T23:59:00Z"), inside: true},
		{name: "end 00:00: at midnight it has closed", w: win("mon", "20:00", "00:00"), loc: time.UTC,
			at: utc(t, "2026-01-06T00:00:00Z"), want: utc(t, "2026-01-12T20:00:00Z")},
		{name: "day names in any case", w: win("MON", "09:00", "10:00"), loc: time.UTC,
			at: utc(t, "2026-01-04T12:00:00Z"), want: utc(t, "2026-01-05T09:00:00Z")},
		{name: "nil zone is UTC", w: win("", "09:00", "10:00"), loc: nil,
			at: utc(t, "2026-01-04T12:00:00Z"), want: utc(t, "2026-01-05T09:00:00Z")},
		// Windows validation refuses impose no limit.
		{name: "start equals end", w: win("", "09:00", "09:00"), loc: time.UTC, at: utc(t, "2026-01-04T12:00:00Z"), inside: true},
		{name: "no known day", w: win("someday", "09:00", "10:00"), loc: time.UTC, at: utc(t, "2026-01-04T12:00:00Z"), inside: true},
		{name: "bad time", w: win("", "9", "10:00"), loc: time.UTC, at: utc(t, "2026-01-04T12:00:00Z"), inside: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if c.inside {
				want = c.at
			}
			got := NextOpening(c.w, c.loc, c.at)
			if !got.Equal(want) {
				t.Errorf("NextOpening(%v) = %v (%v), want %v (%v)", c.at, got, got.UTC(), want.In(orUTC(c.loc)), want.UTC())
			}
			if in := Inside(c.w, c.loc, c.at); in != c.inside {
				t.Errorf("Inside(%v) = %v, want %v", c.at, in, c.inside)
			}
			if !Inside(c.w, c.loc, got) {
				t.Errorf("the opening %v is not inside", got)
			}
		})
	}
}

func TestInside(t *testing.T) {
	ny := zone(t, "America/New_York")
	w := win("fri", "22:00", "06:00")
	cases := []struct {
		at   time.Time
		want bool
	}{
		{local(t, ny, "2026-03-06 21:59"), false}, // Friday evening, before
		{local(t, ny, "2026-03-06 22:00"), true},
		{local(t, ny, "2026-03-07 00:00"), true}, // Saturday, after midnight
		{local(t, ny, "2026-03-07 05:59"), true},
		{local(t, ny, "2026-03-07 06:00"), false},
		{local(t, ny, "2026-03-07 23:00"), false}, // Saturday is not listed
		{local(t, ny, "2026-03-06 03:00"), false}, // Friday morning: Thursday is not listed
	}
	for _, c := range cases {
		if got := Inside(w, ny, c.at); got != c.want {
			t.Errorf("Inside(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	// The wall clock decides: 16:30 UTC is inside 09:00-17:00 in UTC but
	// 11:30 in New York is inside too, while 22:30 UTC (17:30 EST) is not.
	day := win("", "09:00", "17:00")
	if !Inside(day, ny, utc(t, "2026-01-05T16:30:00Z")) || Inside(day, ny, utc(t, "2026-01-05T22:30:00Z")) {
		t.Error("Inside does not read the wall clock of its zone")
	}
}

func TestParseAt(t *testing.T) {
	ny, berlin := zone(t, "America/New_York"), zone(t, "Europe/Berlin")
	cases := []struct {
		in   string
		loc  *time.Location
		want string // RFC 3339 in UTC
	}{
		{"2026-03-08T09:00:00-05:00", berlin, "2026-03-08T14:00:00Z"}, // an offset wins over loc
		{"2026-03-08T14:00:00Z", ny, "2026-03-08T14:00:00Z"},
		{"2026-03-08T14:00:00.5Z", ny, "2026-03-08T14:00:00.5Z"},
		{"  2026-03-09T09:00:00  ", ny, "2026-03-09T13:00:00Z"},
		{"2026-03-09T09:00", ny, "2026-03-09T13:00:00Z"},
		{"2026-03-09 09:00", ny, "2026-03-09T13:00:00Z"},
		{"2026-03-09 09:00:30", ny, "2026-03-09T13:00:30Z"},
		{"2026-03-09", ny, "2026-03-09T04:00:00Z"},        // 00:00 EDT
		{"2026-03-07", ny, "2026-03-07T05:00:00Z"},        // 00:00 EST
		{"2026-03-09 09:00", nil, "2026-03-09T09:00:00Z"}, // no zone: UTC
		// Skipped by the clocks: pushed later by the gap, east and west.
		{"2026-03-08T02:30", ny, "2026-03-08T07:30:00Z"},     // 03:30 EDT
		{"2026-03-29 02:30", berlin, "2026-03-29T01:30:00Z"}, // 03:30 CEST
		// Repeated by the clocks: the first occurrence, east and west.
		{"2026-11-01 01:30", ny, "2026-11-01T05:30:00Z"},     // 01:30 EDT
		{"2026-10-25 02:30", berlin, "2026-10-25T00:30:00Z"}, // 02:30 CEST
	}
	for _, c := range cases {
		got, err := ParseAt(c.in, c.loc)
		if err != nil {
			t.Errorf("ParseAt(%q): %v", c.in, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != c.want {
			t.Errorf("ParseAt(%q, %v) = %s, want %s", c.in, c.loc, s, c.want)
		}
	}

	// An offset is kept as written, whatever the machine's zone.
	got, _ := ParseAt("2026-03-08T09:00:00-05:00", berlin)
	if _, off := got.Zone(); off != -5*3600 || got.Location() == time.Local {
		t.Errorf("offset not kept: %v in %v", got, got.Location())
	}

	for _, in := range []string{"", "   ", "tomorrow", "09:00", "2026-13-01", "2026-02-30", "03/08/2026", "2026-03-08T09:00:00 EST", "2026-03-08T25:00"} {
		_, err := ParseAt(in, ny)
		if err == nil {
			t.Errorf("ParseAt(%q): no error", in)
			continue
		}
		for _, form := range []string{"RFC 3339", "2026-03-08T09:00", "2026-03-08 09:00", "2026-03-08,"} {
			if !strings.Contains(err.Error(), form) {
				t.Errorf("ParseAt(%q) error %q does not name the form %q", in, err, form)
			}
		}
	}
}

func TestZone(t *testing.T) {
	cases := []struct{ setting, contact, account, want string }{
		{"", "Europe/Berlin", "America/New_York", "America/New_York"},
		{"account", "Europe/Berlin", "America/New_York", "America/New_York"},
		{"contact", "Europe/Berlin", "America/New_York", "Europe/Berlin"},
		{"contact", "", "America/New_York", "America/New_York"},
		{"contact", "Mars/Base", "America/New_York", "America/New_York"},
		{"contact", "Local", "America/New_York", "America/New_York"}, // the machine's zone is no one's
		{"contact", "", "", "UTC"},
		{"Asia/Tokyo", "Europe/Berlin", "America/New_York", "Asia/Tokyo"},
		{" Asia/Tokyo ", "", "", "Asia/Tokyo"},
		{"Mars/Base", "Europe/Berlin", "America/New_York", "America/New_York"},
		{"Mars/Base", "", "", "UTC"},
		{"account", "", "Mars/Base", "UTC"},
		{"UTC", "", "America/New_York", "UTC"},
	}
	for _, c := range cases {
		if got := Zone(c.setting, c.contact, c.account); got == nil || got.String() != c.want {
			t.Errorf("Zone(%q, %q, %q) = %v, want %s", c.setting, c.contact, c.account, got, c.want)
		}
	}
}

func TestAddDays(t *testing.T) {
	ny, berlin := zone(t, "America/New_York"), zone(t, "Europe/Berlin")
	cases := []struct {
		name     string
		from     time.Time
		days     int
		loc      *time.Location
		want     string // UTC
		duration time.Duration
	}{
		{"NY spring forward: a 23-hour day", local(t, ny, "2026-03-07 09:00"), 1, ny, "2026-03-08T13:00:00Z", 23 * time.Hour},
		{"NY fall back: a 25-hour day", local(t, ny, "2026-10-31 09:00"), 1, ny, "2026-11-01T14:00:00Z", 25 * time.Hour},
		{"Berlin spring forward", local(t, berlin, "2026-03-28 09:00"), 1, berlin, "2026-03-29T07:00:00Z", 23 * time.Hour},
		{"Berlin fall back", local(t, berlin, "2026-10-24 09:00"), 1, berlin, "2026-10-25T08:00:00Z", 25 * time.Hour},
		{"backwards across spring forward", local(t, ny, "2026-03-08 09:00"), -1, ny, "2026-03-07T14:00:00Z", -23 * time.Hour},
		{"a week over a month end", local(t, ny, "2026-03-28 09:00"), 7, ny, "2026-04-04T13:00:00Z", 7 * 24 * time.Hour},
		{"landing in the gap is pushed later", local(t, ny, "2026-03-07 02:30"), 1, ny, "2026-03-08T07:30:00Z", 24 * time.Hour},
		{"read in loc, not t's zone", utc(t, "2026-03-07T14:00:00Z"), 1, ny, "2026-03-08T13:00:00Z", 23 * time.Hour},
	}
	for _, c := range cases {
		got := AddDays(c.from, c.days, c.loc)
		if s := got.UTC().Format(time.RFC3339); s != c.want {
			t.Errorf("%s: AddDays = %s, want %s", c.name, s, c.want)
		}
		if d := got.Sub(c.from); d != c.duration {
			t.Errorf("%s: lasted %v, want %v", c.name, d, c.duration)
		}
		if got.Location() != c.loc {
			t.Errorf("%s: result in %v, want %v", c.name, got.Location(), c.loc)
		}
	}

	// 09:00 stays 09:00 across both changes while the UTC hour moves.
	start := local(t, ny, "2026-03-01 09:00")
	for d := range 300 {
		got := AddDays(start, d, ny)
		if h, m, _ := got.Clock(); h != 9 || m != 0 {
			t.Fatalf("AddDays(+%d) = %v, not 09:00", d, got)
		}
	}

	// Zero days keeps the instant, even the second of two 01:30s.
	second := utc(t, "2026-11-01T06:30:00Z")
	if got := AddDays(second, 0, ny); !got.Equal(second) {
		t.Errorf("AddDays(0) moved %v to %v", second, got)
	}
	// Sub-second parts survive.
	frac := local(t, ny, "2026-03-07 09:00").Add(1500 * time.Millisecond)
	if got := AddDays(frac, 1, ny); got.Nanosecond() != 5e8 || got.Second() != 1 {
		t.Errorf("AddDays lost the fraction: %v", got)
	}
}

func TestValidateWindow(t *testing.T) {
	cases := []struct {
		name   string
		w      *definition.TimeWindow
		faults map[string]string // path -> part of the message
	}{
		{"no window", nil, nil},
		{"valid", &definition.TimeWindow{Days: []string{"mon", "FRI"}, Start: "09:00", End: "17:00"}, nil},
		{"empty days means every day", &definition.TimeWindow{Start: "09:00", End: "17:00"}, nil},
		{"overnight", &definition.TimeWindow{Days: []string{"fri"}, Start: "22:00", End: "06:00"}, nil},
		{"end at midnight", &definition.TimeWindow{Start: "20:00", End: "00:00"}, nil},
		{"unknown day", &definition.TimeWindow{Days: []string{"mon", "someday"}, Start: "09:00", End: "17:00"},
			map[string]string{"time_window.days[1]": `unknown day "someday"`}},
		{"a day twice, in any case", &definition.TimeWindow{Days: []string{"Mon", "tue", "mon"}, Start: "9:00", End: "17:00"},
			map[string]string{"time_window.days[2]": `"mon" is listed twice (also days[0])`}},
		{"bad times", &definition.TimeWindow{Start: "9", End: "24:00"},
			map[string]string{"time_window.start": "HH:MM", "time_window.end": "HH:MM"}},
		{"start equals end", &definition.TimeWindow{Start: "09:00", End: "09:00"},
			map[string]string{"time_window.end": "never open"}},
		{"missing times are required", &definition.TimeWindow{Days: []string{"mon"}},
			map[string]string{"time_window.start": "is required", "time_window.end": "is required"}},
	}
	for _, c := range cases {
		p := validation.NewProblems()
		ValidateWindow(p.At("time_window"), c.w)
		got := map[string]string{}
		for _, e := range p.Errors() {
			got[e.Path] = e.Message
		}
		if len(got) != len(c.faults) {
			t.Errorf("%s: faults %v, want %v", c.name, got, c.faults)
			continue
		}
		for path, part := range c.faults {
			if !strings.Contains(got[path], part) {
				t.Errorf("%s: %s = %q, want it to mention %q", c.name, path, got[path], part)
			}
		}
	}
}

// fuzzZones have offsets changing in every way real zones do: west and
// east of UTC, half-hour and 45-minute offsets and shifts (Lord Howe),
// changes at midnight (Santiago, Havana), a two-hour jump (Troll), a
// skipped calendar day (Apia, 2011-12-30), DST suspended for Ramadan
// (Casablanca).
var fuzzZones = []string{
	"UTC", "America/New_York", "Europe/Berlin", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
	"America/Havana", "Pacific/Apia", "Antarctica/Troll", "Asia/Kolkata", "America/St_Johns",
	"Pacific/Chatham", "Asia/Tehran", "Australia/Sydney", "Africa/Casablanca",
}

func fuzzWindow(days uint8, start, end uint16) definition.TimeWindow {
	names := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	w := definition.TimeWindow{
		Start: fmt.Sprintf("%02d:%02d", start%1440/60, start%60),
		End:   fmt.Sprintf("%02d:%02d", end%1440/60, end%60),
	}
	for i, n := range names {
		if days&(1<<i) != 0 {
			w.Days = append(w.Days, n)
		}
	}
	return w
}

func FuzzNextOpening(f *testing.F) {
	seed := func(zoneIdx int, at string, days uint8, start, end uint16) {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(t.Unix(), uint8(zoneIdx), days, start, end)
	}
	const weekdays, sunday, everyDay = 0b0111110, 0b0000001, 0
	seed(1, "2026-03-07T23:00:00Z", weekdays, 9*60, 17*60)   // NY weekend across spring forward
	seed(1, "2026-03-01T08:00:00Z", sunday, 2*60, 2*60+30)   // NY window lost in the gap
	seed(1, "2026-11-01T05:50:00Z", everyDay, 90, 105)       // NY between the two 01:30s
	seed(1, "2026-11-01T05:30:00Z", everyDay, 30, 80)        // NY re-entered as clocks go back
	seed(2, "2026-03-28T11:00:00Z", everyDay, 2*60+15, 5*60) // Berlin gap start
	seed(2, "2026-10-24T10:00:00Z", everyDay, 2*60+30, 4*60) // Berlin ambiguous start
	seed(2, "2026-10-23T15:00:00Z", weekdays, 22*60, 6*60)   // Berlin overnight across fall back
	seed(4, "2026-04-04T12:00:00Z", everyDay, 1*60+45, 2*60) // Lord Howe half-hour fall back
	seed(5, "2026-04-04T12:00:00Z", 0b1000000, 23*60, 1*60)  // Santiago midnight fall back
	seed(5, "2026-09-05T12:00:00Z", sunday, 0, 30)           // Santiago midnight spring forward
	seed(7, "2011-12-27T00:00:00Z", 0b0100000, 9*60, 17*60)  // Apia's missing Friday
	seed(8, "2026-03-28T12:00:00Z", sunday, 1*60, 3*60)      // Troll's two-hour jump
	seed(0, "2026-01-01T00:00:00Z", everyDay, 0, 23*60+59)   // nearly always open
	seed(0, "2026-01-05T00:00:07Z", 0b0000010, 23*60+59, 0)  // one minute a week
	seed(14, "2026-02-14T12:00:00Z", everyDay, 2*60, 3*60)   // Casablanca Ramadan change

	locs := make([]*time.Location, len(fuzzZones))
	for i, name := range fuzzZones {
		locs[i] = zone(f, name)
	}
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	span := time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - from

	f.Fuzz(func(t *testing.T, unix int64, zoneIdx, days uint8, start, end uint16) {
		loc := locs[int(zoneIdx)%len(locs)]
		at := time.Unix(from+((unix%span)+span)%span, 0)
		w := fuzzWindow(days&0x7f, start, end)
		win, ok := parseWindow(w)
		if !ok {
			t.Skip("validation refuses start == end")
		}
		got := NextOpening(w, loc, at)
		if got.Before(at) {
			t.Fatalf("%v in %v from %v: opening %v is before", w, loc, at, got)
		}
		if !Inside(w, loc, got) {
			t.Fatalf("%v in %v from %v: opening %v is not inside", w, loc, at, got)
		}
		length := (win.end - win.start + day) % day
		if limit := 8 * day; length > 2*time.Hour && got.Sub(at) >= limit {
			t.Fatalf("%v in %v from %v: opening %v is %v later", w, loc, at, got, got.Sub(at))
		}
		if got.Sub(at) > searchDays*day {
			t.Fatalf("%v in %v from %v: opening %v beyond the search", w, loc, at, got)
		}
		// Earliest: windows open for whole wall-clock minutes, so a
		// minute's step cannot jump over one.
		if got.Equal(at) {
			return
		}
		for u := at.Add(time.Minute); u.Before(got); u = u.Add(time.Minute) {
			if win.contains(u.In(loc)) {
				t.Fatalf("%v in %v from %v: opening %v, but %v is inside", w, loc, at, got, u)
			}
		}
		if win.contains(got.Add(-time.Nanosecond).In(loc)) {
			t.Fatalf("%v in %v from %v: opening %v, but just before it is inside", w, loc, at, got)
		}
	})
}

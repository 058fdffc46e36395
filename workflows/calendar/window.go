package calendar

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

// ValidateWindow reports the faults of a time window at days[i], start and
// end, relative to p. A nil window (no limit) has none.
func ValidateWindow(p *validation.Problems, w *definition.TimeWindow) {
	if w == nil {
		return
	}
	seen := map[time.Weekday]int{}
	for i, d := range w.Days {
		wd, ok := weekday(d)
		if !ok {
			p.Add(fmt.Sprintf("days[%d]", i), "unknown day %q (mon, tue, wed, thu, fri, sat, sun; any case)", d)
			continue
		}
		// Harmless to the window, but most likely a slip for another day.
		if first, dup := seen[wd]; dup {
			p.Add(fmt.Sprintf("days[%d]", i), "%q is listed twice (also days[%d])", d, first)
			continue
		}
		seen[wd] = i
	}
	start, startOK := clock(w.Start)
	if !startOK {
		p.Add("start", "%s", clockFault(w.Start))
	}
	end, endOK := clock(w.End)
	if !endOK {
		p.Add("end", "%s", clockFault(w.End))
	}
	if startOK && endOK && start == end {
		p.Add("end", "start and end are the same: the window would never open")
	}
}

// clockFault says what is wrong with a start or end that clock refused.
func clockFault(s string) string {
	if s == "" {
		return "is required: a time of day as HH:MM (24-hour, e.g. 09:00)"
	}
	return "must be a time of day as HH:MM (24-hour, e.g. 09:00 or 17:30)"
}

// Inside reports whether t lies in the window, read in loc. A window that
// ValidateWindow refuses imposes no limit (Inside is true): an enrollment
// must not be held forever by a definition that slipped past validation.
func Inside(w definition.TimeWindow, loc *time.Location, t time.Time) bool {
	win, ok := parseWindow(w)
	return !ok || win.contains(t.In(orUTC(loc)))
}

// searchDays bounds NextOpening. A week always holds an opening, unless a
// daylight-saving gap swallows the whole window on its only day; then the
// next week's does, hence two weeks and a day.
const searchDays = 15

// NextOpening is t itself (unchanged) when t is inside the window, else the
// earliest instant after t that is, in loc. The window opens at start on a listed day; if the
// clocks skip start that day, it opens when they land (the first instant
// after the gap) if that is still before end; when the clocks go back over
// start, it opens at the first occurrence, and again at the second for a t
// between the two. A window ValidateWindow refuses, or one that does not
// open within 15 days (searchDays), gives t.
func NextOpening(w definition.TimeWindow, loc *time.Location, t time.Time) time.Time {
	loc = orUTC(loc)
	win, ok := parseWindow(w)
	if !ok || win.contains(t.In(loc)) {
		return t
	}
	// Inside changes from false to true only where the clocks read start or
	// where the zone's offset changes, so those instants are the candidates.
	horizon := t.Add(searchDays * day)
	ps := periods(loc, t.Add(-day), horizon.Add(day))
	var best time.Time
	consider := func(u time.Time) {
		if u.After(t) && !u.After(horizon) && (best.IsZero() || u.Before(best)) && win.contains(u.In(loc)) {
			best = u
		}
	}
	for _, p := range ps {
		consider(p.start)
	}
	y, m, d := t.In(loc).Date()
	for i := -1; i <= searchDays+1; i++ {
		wall := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC).Add(win.start)
		for _, u := range occurrences(ps, wall) {
			consider(u)
		}
	}
	if best.IsZero() {
		return t
	}
	return best.In(loc)
}

// window is a definition.TimeWindow read once.
type window struct {
	days       [7]bool       // indexed by time.Weekday
	start, end time.Duration // since local midnight
}

func parseWindow(w definition.TimeWindow) (window, bool) {
	var win window
	start, startOK := clock(w.Start)
	end, endOK := clock(w.End)
	if !startOK || !endOK || start == end {
		return win, false
	}
	win.start, win.end = start, end
	if len(w.Days) == 0 {
		win.days = [7]bool{true, true, true, true, true, true, true}
		return win, true
	}
	opens := false
	for _, d := range w.Days {
		if wd, ok := weekday(d); ok {
			win.days[wd], opens = true, true
		}
	}
	return win, opens
}

func (w window) contains(local time.Time) bool {
	h, m, s := local.Clock()
	tod := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(local.Nanosecond())
	wd := local.Weekday()
	if w.start < w.end {
		return w.days[wd] && tod >= w.start && tod < w.end
	}
	// Overnight: the evening of a listed day, or the morning after one.
	return (w.days[wd] && tod >= w.start) || (w.days[(wd+6)%7] && tod < w.end)
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func weekday(name string) (time.Weekday, bool) {
	wd, ok := weekdays[strings.ToLower(name)]
	return wd, ok
}

// clock reads "HH:MM" as time since midnight. It accepts what validation
// always has (time.Parse's "15:04", so "9:00" too); "24:00" is refused:
// midnight as an end is "00:00".
func clock(s string) (time.Duration, bool) {
	c, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute, true
}

package calendar

import (
	"slices"
	"time"
)

// Converting a wall-clock reading to instants needs the zone's offset
// changes, which Go exposes only through Time.ZoneBounds; time.Date picks
// an answer for skipped and repeated times that Go does not guarantee and
// that differs east and west of UTC, so this file does the conversion itself.

const day = 24 * time.Hour

// period is a span during which loc keeps one UTC offset. A zero start or
// end means the span is unbounded on that side.
type period struct {
	start, end time.Time
	offset     time.Duration
}

func (p period) holds(u time.Time) bool {
	return (p.start.IsZero() || !u.Before(p.start)) && (p.end.IsZero() || u.Before(p.end))
}

// maxPeriods bounds the walk over offset changes; real zones change at
// most a few times in the few weeks this package ever looks at.
const maxPeriods = 64

// periods lists loc's spans of constant offset that overlap [from, to], in order.
func periods(loc *time.Location, from, to time.Time) []period {
	var ps []period
	t := from.In(loc)
	for range maxPeriods {
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		ps = append(ps, period{start: start, end: end, offset: time.Duration(off) * time.Second})
		if end.IsZero() || end.After(to) {
			break
		}
		t = end
	}
	return ps
}

// occurrences are the instants, earliest first, at which loc's clocks read
// wall (wall's fields, in UTC, are the reading): none in a gap, two when
// the clocks go back over it.
func occurrences(ps []period, wall time.Time) []time.Time {
	var at []time.Time
	for _, p := range ps {
		if u := wall.Add(-p.offset); p.holds(u) {
			at = append(at, u)
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	return at
}

// resolve turns a wall-clock reading into one instant in loc: the first
// occurrence, or for a reading the clocks skip, the reading pushed later by
// the gap (the offset from before the change applied).
func resolve(loc *time.Location, wall time.Time) time.Time {
	ps := periods(loc, wall.Add(-day), wall.Add(day))
	if at := occurrences(ps, wall); len(at) > 0 {
		return at[0].In(loc)
	}
	for i := 0; i+1 < len(ps); i++ {
		before, after, change := ps[i].offset, ps[i+1].offset, ps[i].end
		if !wall.Before(change.Add(before)) && wall.Before(change.Add(after)) {
			return wall.Add(-before).In(loc)
		}
	}
	// Unreachable for a reading that has no occurrence; kept total.
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
}

// wallOf is t's wall-clock reading in loc, as a UTC time with those fields.
func wallOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

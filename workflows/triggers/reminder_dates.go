package triggers

import (
	"fmt"
	"time"
)

// Date is a calendar date, without a zone: what a date of birth or a date
// in a custom field is.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, false
	}
	return DateOf(t), true
}

// DateValue reads a date held in a custom field: "YYYY-MM-DD", or an RFC
// 3339 time, whose date is taken in loc (the zone the reminder runs in).
func DateValue(v any, loc *time.Location) (Date, bool) {
	s, ok := v.(string)
	if !ok {
		return Date{}, false
	}
	if d, ok := ParseDate(s); ok {
		return d, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return DateOf(t.In(loc)), true
	}
	return Date{}, false
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// AddDays moves the date by n days (calendar days: no clock, no DST).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// ReminderDue says which day's reminder a check at instant at may send, in
// zone loc: the local date of at, once the local wall clock has reached the
// reminder's time that day. Before that time nothing is due yet; the
// date's own check (or a later one the same local day) sends it.
func ReminderDue(at time.Time, loc *time.Location, clock Clock) (Date, bool) {
	local := at.In(loc)
	return DateOf(local), clock.reached(local)
}

// Occasion is the date a reminder sent on day is about: offset_days is
// negative before the date, positive after it.
func Occasion(day Date, offsetDays int) Date { return day.AddDays(-offsetDays) }

// BirthdayIn is the day a birthday falls on in a year: a 29 February
// birthday is celebrated on 28 February in years that have no 29th.
func BirthdayIn(dob Date, year int) Date {
	if dob.Month == time.February && dob.Day == 29 && !leap(year) {
		return Date{year, time.February, 28}
	}
	return Date{year, dob.Month, dob.Day}
}

// BirthdayOn reports whether someone born on dob has a birthday on d (and
// was born before d: the day of birth itself is no birthday).
func BirthdayOn(dob, d Date) bool {
	return d.Year > dob.Year && BirthdayIn(dob, d.Year) == d
}

// BirthdayMonthDays are the "MM-DD" parts of the dates of birth whose
// birthday is d; the database prefilters contacts with them.
func BirthdayMonthDays(d Date) []string {
	out := []string{fmt.Sprintf("%02d-%02d", d.Month, d.Day)}
	if d.Month == time.February && d.Day == 28 && !leap(d.Year) {
		out = append(out, "02-29")
	}
	return out
}

func leap(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }

// Package calendar answers the workflow interpreter's questions about local
// time: which zone an enrollment lives in, whether an instant is inside a
// time window and when the window next opens, what a wait-until's "at"
// means, and what "the same time N days later" is.
//
// Everything here is pure and deterministic so that Temporal replays agree:
// no function reads the clock or draws randomness, each takes the instant
// it works on, and zone rules come from the embedded IANA database
// (time/tzdata), not from whatever the worker machine has installed.
//
// A time window (settings.time_window, a wait's resume_window) is read by
// the wall clock of the workflow's zone. Its days are the weekdays it opens
// on ("mon".."sun", any case); an empty list means every day. Start is
// inclusive and end exclusive, both "HH:MM". An end before the start is an
// overnight window: 22:00-06:00 opens at 22:00 on each listed day and closes
// at 06:00 the next morning, so days name the day the window opens; an end
// of "00:00" closes at midnight.
//
// Wall-clock times that a daylight-saving change makes ambiguous or skips
// are resolved by one rule everywhere: an ambiguous time (the clocks go
// back) means its first occurrence; a skipped time (the clocks go forward)
// is pushed later by the length of the gap, so 02:30 on a spring-forward
// night in New York means 03:30 EDT.
package calendar

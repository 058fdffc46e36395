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
// Wall-clock times that a daylight-saving change makes ambiguous or skips
// are resolved by one rule everywhere: an ambiguous time (the clocks go
// back) means its first occurrence; a skipped time (the clocks go forward)
// is pushed later by the length of the gap, so 02:30 on a spring-forward
// night in New York means 03:30 EDT.
package calendar

// Package durations reads the duration strings of the contract ("90s", "3d", "1w").
package durations

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

var durationPart = regexp.MustCompile(`(\d+(?:\.\d+)?)(ms|s|m|h|d|w)`)

// Parse reads Go-style and day-style durations: "90s", "15m", "2h",
// "3d", "1w", and sums such as "1d12h". Days are 24 hours: calendar-aware
// waits belong to wait modes that name a date.
func Parse(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if len(s) > 1 && s[0] == '-' {
		if _, err := Parse(s[1:]); err == nil {
			return 0, fmt.Errorf("%q is negative: a duration must be positive (like 90s, 15m, 2h, 3d, 1w)", s)
		}
	}
	rest := s
	var total time.Duration
	for rest != "" {
		loc := durationPart.FindStringSubmatchIndex(rest)
		if loc == nil || loc[0] != 0 {
			return 0, fmt.Errorf("%q is not a duration (use forms like 90s, 15m, 2h, 3d, 1w)", s)
		}
		n, err := strconv.ParseFloat(rest[loc[2]:loc[3]], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %w", s, err)
		}
		unit := map[string]time.Duration{
			"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
			"d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
		}[rest[loc[4]:loc[5]]]
		part := n * float64(unit)
		if part+float64(total) > math.MaxInt64 {
			return 0, fmt.Errorf("%q is too long a duration", s)
		}
		total += time.Duration(part)
		rest = rest[loc[1]:]
	}
	return total, nil
}

// Span says a duration for people in whole days and hours, or minutes under an hour.
func Span(d time.Duration) string {
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && d%time.Hour >= time.Minute:
		return fmt.Sprintf("%dh %dm", hours, int(d%time.Hour/time.Minute))
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	}
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

package durations

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := map[string]time.Duration{
		"90s": 90 * time.Second, "15m": 15 * time.Minute, "2h": 2 * time.Hour, "3d": 72 * time.Hour,
		"1w": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "1.5h": 90 * time.Minute, "500ms": 500 * time.Millisecond,
	}
	for in, want := range good {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "3", "d3", "3 d", "-1d", "3x", "99999999d", "9999999999999h"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// A negative duration is named as such, not as something unreadable.
func TestNegativeDurationSaysItMustBePositive(t *testing.T) {
	_, err := Parse("-5m")
	if err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Errorf("Parse(-5m) = %v, want it to say a duration must be positive", err)
	}
	if _, err := Parse("-soon"); err == nil || !strings.Contains(err.Error(), "is not a duration") {
		t.Errorf("Parse(-soon) = %v", err)
	}
}

func TestSpanSaysShortWaitsInSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "10s", 90 * time.Second: "1m", 2*time.Hour + 5*time.Minute: "2h 5m", 50 * time.Hour: "2d 2h",
	} {
		if got := Span(d); got != want {
			t.Errorf("Span(%v) = %q, want %q", d, got, want)
		}
	}
}

package check

import (
	"testing"
	"time"
)

// A wait until a literal time that has passed already never waits: saving
// it warns at config.at, saying what if_passed does instead.
func TestWarningForWaitUntilAPassedTime(t *testing.T) {
	cases := []struct {
		name, config, want string
	}{
		{"continue by default", `{"mode":"until","at":"2020-03-01 09:00"}`,
			`"2020-03-01 09:00" has passed already, so this step never waits: the contact continues to the next step at once (if_passed: continue)`},
		{"exit", `{"mode":"until","at":"2020-03-01T09:00:00Z","if_passed":"exit"}`,
			`"2020-03-01T09:00:00Z" has passed already, so this step never waits: the contact exits the workflow here (if_passed: exit)`},
		{"goto", `{"mode":"until","at":"2020-03-01","if_passed":"goto","goto":"e"}`,
			`"2020-03-01" has passed already, so this step never waits: the contact goes to step "e" at once (if_passed: goto)`},
	}
	for _, c := range cases {
		w := warnings(t, `{"name":"x","start":"u","steps":[{"id":"u","type":"wait","config":`+c.config+`,"next":"e"},{"id":"e","type":"end"}]}`)
		if len(w) != 1 || w["steps[0].config.at"] != c.want {
			t.Errorf("%s: want only %q at steps[0].config.at; got %v", c.name, c.want, w)
		}
	}
}

func TestNoWarningForWaitUntilAFutureOrTemplatedTime(t *testing.T) {
	now := time.Now().UTC()
	for name, at := range map[string]string{
		"next year": now.AddDate(1, 0, 0).Format("2006-01-02 15:04"),
		// Passed in UTC, but the wall clock is read in the workflow's
		// timezone, which may be up to 12 hours behind.
		"earlier today in UTC": now.Add(-2 * time.Hour).Format("2006-01-02T15:04"),
		"a template":           "{{contact.custom.renewal_date}} 09:00",
	} {
		w := warnings(t, `{"name":"x","start":"u","steps":[{"id":"u","type":"wait","config":{"mode":"until","at":"`+at+`"}}]}`)
		if len(w) != 0 {
			t.Errorf("%s (%s): want no warning, got %v", name, at, w)
		}
	}
}

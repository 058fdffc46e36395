package steps

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { waitModes["until"] = untilMode{} }

// untilMode waits until a time: fixed ("2026-12-24T09:00", read in the
// workflow's timezone) or from a template ("{{contact.custom.renewal_date}}").
// When that time has passed already, if_passed says what to do.
type untilMode struct{}

func (untilMode) fields() []string { return []string{"at", "if_passed", "goto"} }

func (untilMode) validate(p *validation.Problems, c *waitConfig) {
	if required(p, "config.at", c.At) {
		if template.IsTemplate(c.At) {
			checkTemplate(p, "config.at", c.At)
		} else if _, err := calendar.ParseAt(c.At, time.UTC); err != nil {
			p.Add("config.at", "%s", err.Error())
		}
	}
	switch c.IfPassed {
	case "", "continue", "exit":
		if c.Goto != "" {
			p.Add("config.goto", "is only read when if_passed is goto")
		}
	case "goto":
		required(p, "config.goto", c.Goto)
	default:
		p.Add("config.if_passed", "must be continue, exit or goto, not %q", c.IfPassed)
	}
}

// westmost is the latest a wall-clock time can name: in the zone furthest
// behind UTC. A literal at without an offset is read in the workflow's
// timezone, which may be the contact's, so only a time passed there has
// passed for every contact.
var westmost = time.FixedZone("UTC-12", -12*60*60)

// warn: a literal at that has passed already never waits; every contact
// does at once what if_passed says. Warnings are made outside workflow
// code (on save, in answers), so the real clock is fine here.
func (untilMode) warn(p *validation.Problems, c *waitConfig) {
	if template.IsTemplate(c.At) {
		return
	}
	at, err := calendar.ParseAt(c.At, westmost)
	if err != nil || at.After(time.Now()) {
		return
	}
	then := "the contact continues to the next step at once (if_passed: continue)"
	switch c.IfPassed {
	case "exit":
		then = "the contact exits the workflow here (if_passed: exit)"
	case "goto":
		then = fmt.Sprintf("the contact goes to step %q at once (if_passed: goto)", c.Goto)
	}
	p.Add("config.at", "%q has passed already, so this step never waits: %s", strings.TrimSpace(c.At), then)
}

func (untilMode) targets(c *waitConfig) []Target {
	if c.IfPassed == "goto" && c.Goto != "" {
		return []Target{{Path: "config.goto", StepID: c.Goto}}
	}
	return nil
}

func (untilMode) run(ctx workflow.Context, rt Runtime, s *definition.Step, c *waitConfig) (Outcome, error) {
	req := ResolveRequest{Zone: true}
	if template.IsTemplate(c.At) {
		req.Templates = map[string]string{"at": c.At}
	}
	res, err := rt.Resolve(ctx, s, req)
	if err != nil {
		return Outcome{}, err
	}
	text := c.At
	if req.Templates != nil {
		text = strings.TrimSpace(res.Rendered["at"])
		if onlyATimeOfDay(text) { // "{{contact.custom.renewal}} 09:00" on a contact without renewal
			text = ""
		}
	}
	loc := calendar.Zone(res.Zone, "", "")
	now := workflow.Now(ctx)
	var at time.Time
	if text != "" { // an empty field is a date that is not there: passed
		if at, err = calendar.ParseAt(text, loc); err != nil {
			return Outcome{}, fail("config.at: %v", err)
		}
	}
	if at.After(now) {
		if _, err := rt.Wait(ctx, s, WaitSpec{Until: at, Reason: "until " + WaitClock(at, loc)}); err != nil {
			return Outcome{}, err
		}
		return Outcome{Next: s.Next, Output: map[string]any{"until": at.UTC().Format(time.RFC3339), "passed": false}}, nil
	}
	if !at.IsZero() && now.Sub(at) < justNow && untilJustNowIsNow(rt) {
		return Outcome{Next: s.Next, Output: map[string]any{"until": at.UTC().Format(time.RFC3339), "passed": false}}, nil
	}
	out := map[string]any{"passed": true}
	if !at.IsZero() {
		out["until"] = at.UTC().Format(time.RFC3339)
	} else {
		out["reason"] = "no date to wait for"
	}
	switch c.IfPassed {
	case "exit":
		reason := "the date to wait for had passed"
		if at.IsZero() {
			reason = "there was no date to wait for"
		}
		return Outcome{Exit: true, Reason: reason + " (step " + s.ID + ")", Output: out}, nil
	case "goto":
		return Outcome{Next: c.Goto, Output: out}, nil
	}
	return Outcome{Next: s.Next, Output: out}, nil
}

// onlyATimeOfDay: a rendered at that names no date, only a time of day
// ("09:00", "T09:00:00"), is what a template like "{{contact.custom.renewal}}
// 09:00" renders for a contact without the field: an empty field, not a
// time that fails the step.
func onlyATimeOfDay(s string) bool {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "T"))
	for _, layout := range []string{"15:04", "15:04:05"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// WaitClock is how a wait's waiting_for names a time: in loc, to the
// minute, with the seconds when there are some ("2026-12-04 17:00:02 UTC").
func WaitClock(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	if t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05 MST")
	}
	return t.Format("2006-01-02 15:04 MST")
}

// justNow is how long ago a time may be and still be now to a wait until
// it: the clock of the workflow task that runs the wait trails the timer or
// the window that brought the contact here by milliseconds, and "until
// 09:00" reached at 09:00:00.035 has not passed.
const justNow = time.Minute

// JustNower says whether a run counts a time less than justNow ago as now
// (runs that started before it count it as passed).
type JustNower interface {
	UntilJustNowIsNow() bool
}

func untilJustNowIsNow(rt Runtime) bool {
	j, ok := rt.(JustNower)
	return ok && j.UntilJustNowIsNow()
}

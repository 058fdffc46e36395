package steps

import (
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/calendar"
	"github.com/crmflow/crmflow/workflows/condition"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/template"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(wait{}) }

// waitConfig holds every field of the contract's wait step; each mode reads
// its own (wait_<mode>.go) and refuses the others'.
type waitConfig struct {
	Mode          string                 `json:"mode"`
	Duration      string                 `json:"duration,omitempty"`
	At            string                 `json:"at,omitempty"`
	IfPassed      string                 `json:"if_passed,omitempty"`
	Goto          string                 `json:"goto,omitempty"`
	AppointmentID string                 `json:"appointment_id,omitempty"`
	Offset        string                 `json:"offset,omitempty"`
	OnCancel      string                 `json:"on_cancel,omitempty"`
	Events        []EventMatcher         `json:"events,omitempty"`
	Until         *condition.Node        `json:"until,omitempty"`
	Timeout       string                 `json:"timeout,omitempty"`
	OnTimeout     string                 `json:"on_timeout,omitempty"`
	ResumeWindow  *definition.TimeWindow `json:"resume_window,omitempty"`
}

// waitMode is one mode of the wait step: its own file registers it.
type waitMode interface {
	// fields are the config fields the mode reads besides mode and resume_window.
	fields() []string
	validate(p *validation.Problems, c *waitConfig)
	targets(c *waitConfig) []Target
	run(ctx workflow.Context, rt Runtime, s *definition.Step, c *waitConfig) (Outcome, error)
}

var waitModes = map[string]waitMode{}

// modeWarner is a wait mode with warnings of its own (see Warner).
type modeWarner interface {
	warn(p *validation.Problems, c *waitConfig)
}

// Rechecker is a Runtime that says whether a wait checks what it waits for
// once more when its deadline comes (an appointment wait reads its
// appointment again, a condition wait takes its condition again) before it
// times out. The interpreter's runtime does from flow-control version 5 on;
// runs that started before time out as they did.
type Rechecker interface {
	RecheckAtDeadline() bool
}

// recheckAtDeadline: rt is a Rechecker that says so.
func recheckAtDeadline(rt Runtime) bool {
	r, ok := rt.(Rechecker)
	return ok && r.RecheckAtDeadline()
}

func modeNames() string {
	names := make([]string, 0, len(waitModes))
	for n := range waitModes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// maxWait bounds a delay: longer is almost surely a typo (99999d).
const maxWait = 1825 * 24 * time.Hour

// wait pauses the enrollment on a durable Temporal timer or until a signal
// brings what it waits for: it survives restarts of the worker and the server.
type wait struct{}

func (wait) Type() string { return "wait" }

// Waits marks this kind as one that lets time pass, which makes a goto loop
// through it safe: every mode but until at a literal time, which has passed
// once the loop comes round again.
func (wait) Waits(s *definition.Step) bool {
	var c waitConfig
	if !readConfig(s.Config, &c) {
		return false
	}
	return c.Mode != "until" || template.IsTemplate(c.At)
}

func (wait) Validate(p *validation.Problems, s *definition.Step) {
	var c waitConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	m, ok := waitModes[c.Mode]
	switch {
	case c.Mode == "":
		p.Add("config.mode", "is required (%s)", modeNames())
		return
	case !ok:
		p.Add("config.mode", "unknown wait mode %q (%s)", c.Mode, modeNames())
		return
	}
	set := map[string]bool{"duration": c.Duration != "", "at": c.At != "", "if_passed": c.IfPassed != "", "goto": c.Goto != "",
		"appointment_id": c.AppointmentID != "", "offset": c.Offset != "", "on_cancel": c.OnCancel != "", "events": c.Events != nil,
		"until": c.Until != nil, "timeout": c.Timeout != "", "on_timeout": c.OnTimeout != ""}
	own := map[string]bool{}
	for _, f := range m.fields() {
		own[f] = true
	}
	for _, f := range sortedKeys(set) {
		if set[f] && !own[f] {
			p.Add("config."+f, "is not a field of wait mode %q", c.Mode)
		}
	}
	m.validate(p, &c)
	if c.ResumeWindow != nil {
		calendar.ValidateWindow(p.At("config.resume_window"), c.ResumeWindow)
	}
}

// Warn asks the mode: event and condition waits without a timeout may
// never end.
func (wait) Warn(p *validation.Problems, s *definition.Step) {
	var c waitConfig
	if !readConfig(s.Config, &c) {
		return
	}
	if m, ok := waitModes[c.Mode].(modeWarner); ok {
		m.warn(p, &c)
	}
}

// Conditions are what the mode reads while the step waits: a condition
// wait's until, an event wait's filters.
func (wait) Conditions(s *definition.Step) []Condition {
	var c waitConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	switch c.Mode {
	case "condition":
		if c.Until != nil {
			return []Condition{{Path: "config.until", Tree: c.Until}}
		}
	case "event":
		return matcherConditions("config.events", c.Events, false)
	}
	return nil
}

func (wait) Targets(s *definition.Step) []Target {
	var c waitConfig
	if !readConfig(s.Config, &c) {
		return nil
	}
	if m, ok := waitModes[c.Mode]; ok {
		return m.targets(&c)
	}
	return nil
}

func (wait) Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error) {
	var c waitConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	m, ok := waitModes[c.Mode]
	if !ok {
		return Outcome{}, fail("config.mode: unknown wait mode %q", c.Mode)
	}
	out, err := m.run(ctx, rt, s, &c)
	if err != nil || out.Exit || c.ResumeWindow == nil {
		return out, err
	}
	held, err := holdForWindow(ctx, rt, s, *c.ResumeWindow, "the resume window")
	if err != nil || !held {
		return out, err
	}
	// The mode's own output says what it waited for ("waited": "2s"); say
	// too that the window held the contact longer, and until when.
	if out.Output == nil {
		out.Output = map[string]any{}
	}
	out.Output["held_by_window"] = true
	out.Output["resumed_at"] = workflow.Now(ctx).UTC().Format(time.RFC3339)
	return out, nil
}

// holdForWindow waits until the window opens in the workflow's timezone,
// if it is closed now (held); waiting_for is "<window> (opens <time>)".
func holdForWindow(ctx workflow.Context, rt Runtime, s *definition.Step, w definition.TimeWindow, window string) (held bool, err error) {
	res, err := rt.Resolve(ctx, s, ResolveRequest{Zone: true})
	if err != nil {
		return false, err
	}
	loc := calendar.Zone(res.Zone, "", "")
	now := workflow.Now(ctx)
	opens := calendar.NextOpening(w, loc, now)
	if !opens.After(now) {
		return false, nil
	}
	_, err = rt.Wait(ctx, s, WaitSpec{Until: opens, Reason: window + " (opens " + WaitClock(opens, loc) + ")"})
	return err == nil, err
}

// timeoutTargets are the targets of the modes with a timeout.
func timeoutTargets(c *waitConfig) []Target {
	if c.OnTimeout == "" {
		return nil
	}
	return []Target{{Path: "config.on_timeout", StepID: c.OnTimeout}}
}

// validateTimeout checks timeout and on_timeout of the event and condition modes.
func validateTimeout(p *validation.Problems, c *waitConfig) {
	if c.Timeout != "" {
		validDuration(p, "config.timeout", c.Timeout)
	} else if c.OnTimeout != "" && !p.WasRefused("config.timeout") { // a timeout of the wrong type is named already
		p.Add("config.on_timeout", "needs a timeout")
	}
}

// validDuration checks a literal duration: positive, at most maxWait.
func validDuration(p *validation.Problems, path, v string) {
	d, err := durations.Parse(v)
	switch {
	case err != nil:
		p.Add(path, "%s", err.Error())
	case d <= 0:
		p.Add(path, "must be longer than zero")
	case d > maxWait:
		p.Add(path, "is more than 5 years (1825d); a wait that long is almost surely a typo")
	}
}

// deadline is when a wait with a timeout gives up, counted from when the
// step began waiting; the zero time when there is no timeout.
func deadline(ctx workflow.Context, rt Runtime, s *definition.Step, timeout string) (time.Time, error) {
	if timeout == "" {
		return time.Time{}, nil
	}
	d, err := durations.Parse(timeout)
	if err != nil {
		return time.Time{}, fail("config.timeout: %v", err)
	}
	return rt.WaitStarted(ctx, s).Add(d), nil
}

// timedOut is where a wait goes when its timeout passed.
func timedOut(s *definition.Step, c *waitConfig) Outcome {
	next := s.Next
	if c.OnTimeout != "" {
		next = c.OnTimeout
	}
	return Outcome{Next: next, Output: map[string]any{"timed_out": true}}
}

// eventOutput is what a wait that an event ended gives later steps:
// steps.<id>.event.<path> reads the event's data.
func eventOutput(ev *Event) map[string]any {
	return map[string]any{"timed_out": false, "event_type": ev.Type, "event": ev.Data}
}

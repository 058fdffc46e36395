package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/simulation"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/validation"
)

// simulateInput asks for a simulation; only contact_id is required.
type simulateInput struct {
	ContactID *string `json:"contact_id"`
	// Version is a published version; left out, the saved definition runs
	// (draft or not), as with Test Workflow.
	Version *int             `json:"version"`
	StartAt *string          `json:"start_at"`
	Horizon *string          `json:"horizon"`
	Trigger *simulateEvent   `json:"trigger"`
	Events  []*simulateEvent `json:"events"`
}

type simulateEvent struct {
	After *string        `json:"after"`
	Type  *string        `json:"type"`
	Data  map[string]any `json:"data"`
}

// SimulationAnswer is what a simulation found.
type SimulationAnswer struct {
	WorkflowID string `json:"workflow_id"`
	ContactID  string `json:"contact_id"`
	// Version is the published version simulated; null for the saved definition.
	Version     *int                `json:"version"`
	Status      string              `json:"status"`
	Reason      string              `json:"reason"`
	CurrentStep string              `json:"current_step"`
	StartedAt   time.Time           `json:"started_at"`
	EndedAt     time.Time           `json:"ended_at"`
	Duration    string              `json:"duration"`
	Steps       []StepAnswer        `json:"steps"`
	Messages    []SimulatedMessage  `json:"messages"`
	Events      []SimulatedDelivery `json:"events"`
	Runs        int                 `json:"runs"`
	// Stopped says why the simulation stopped the run before it ended (its
	// horizon, a limit); null when the run ended.
	Stopped *string `json:"stopped"`
	// Warnings say where the simulation differs from what the server would
	// do, e.g. a trigger that would not enroll the contact.
	Warnings []validation.FieldError `json:"warnings"`
}

// SimulatedMessage is a message the run would send, as rendered.
type SimulatedMessage struct {
	StepID  string `json:"step_id"`
	Channel string `json:"channel"`
	To      string `json:"to"`
	From    string `json:"from"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Status is recorded (it would be sent) or skipped (DND, no phone...),
	// with the reason in Error.
	Status string `json:"status"`
	Error  string `json:"error"`
}

// SimulatedDelivery is a requested event and when it reached the run.
type SimulatedDelivery struct {
	Type string    `json:"type"`
	At   time.Time `json:"at"`
}

func (s *server) simulationRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/workflows/:id/simulate", s.simulate)
}

// simulate runs the workflow for a contact on a time-skipping clock and
// answers the path it takes; nothing is sent, charged or changed.
func (s *server) simulate(c echo.Context) error {
	if s.simulator == nil {
		return typed(http.StatusServiceUnavailable, typeUnavailable, "Simulation unavailable", "this server runs no simulator")
	}
	var in simulateInput
	p := validation.NewProblems()
	if err := bindPruned(c, &in, p); err != nil {
		return err
	}
	ctx, acct := c.Request().Context(), account(c).ID
	wf, err := s.definitions.Get(ctx, acct, param(c, "id"))
	if errors.Is(err, definitions.ErrNotFound) {
		return notFound("workflow")
	} else if err != nil {
		return err
	}
	req, err := readSimulateInput(&in, p)
	if err != nil {
		return err
	}
	req.AccountID, req.WorkflowID = acct, wf.ID
	raw := wf.Definition
	if req.Version != 0 {
		v, err := s.definitions.Version(ctx, acct, wf.ID, req.Version)
		if errors.Is(err, definitions.ErrVersionNotFound) {
			return invalidAt("version", "the workflow has no published version %d", req.Version)
		} else if err != nil {
			return err
		}
		raw = v.Definition
	}
	var def definition.Definition
	if err := json.Unmarshal(raw, &def); err != nil {
		return fmt.Errorf("reading the definition of workflow %s: %w", wf.ID, err)
	}
	req.Definition = &def
	var contact models.Contact
	if err := s.db.WithContext(ctx).Where("account_id = ? AND id = ?", acct, req.ContactID).Limit(1).Find(&contact).Error; err != nil {
		return fmt.Errorf("loading contact %s: %w", req.ContactID, err)
	}
	if contact.ID == "" {
		return invalidAt("contact_id", "no contact with this id")
	}
	res, err := s.simulator.Run(ctx, req)
	if errors.Is(err, simulation.ErrBusy) {
		c.Response().Header().Set("Retry-After", "5")
		return typed(http.StatusTooManyRequests, typeBusy, "Too many simulations", err.Error())
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, simulationAnswer(req, res))
}

// readSimulateInput checks the body, naming every fault with those p holds
// already (its shape faults, see bindPruned).
func readSimulateInput(in *simulateInput, p *validation.Problems) (simulation.Request, error) {
	var req simulation.Request
	if blank(in.ContactID) {
		p.Add("contact_id", "is required")
	} else {
		req.ContactID = strings.TrimSpace(*in.ContactID)
	}
	if in.Version != nil {
		if *in.Version < 1 {
			p.Add("version", "must be a published version number, 1 or more; leave it out to simulate the saved definition")
		}
		req.Version = *in.Version
	}
	if in.StartAt != nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.StartAt))
		if err != nil {
			p.Add("start_at", "must be an RFC 3339 time, e.g. 2026-12-07T09:00:00Z")
		}
		req.Start = t
	}
	if in.Horizon != nil {
		d, err := durations.Parse(strings.TrimSpace(*in.Horizon))
		switch {
		case err != nil:
			p.Add("horizon", "%s", err.Error())
		case d <= 0 || d > simulation.MaxHorizon:
			p.Add("horizon", "must be longer than zero and at most 1825d (5 years)")
		}
		req.Horizon = d
	}
	if in.Trigger != nil {
		if in.Trigger.After != nil {
			p.Add("trigger.after", "is not a field of trigger: the trigger enrolls the contact at start_at")
		}
		if blank(in.Trigger.Type) {
			p.Add("trigger.type", "is required")
		} else {
			req.Trigger = &simulation.Event{Type: strings.TrimSpace(*in.Trigger.Type), Data: in.Trigger.Data}
		}
	}
	if len(in.Events) > simulation.MaxEvents {
		p.Add("events", "at most %d events", simulation.MaxEvents)
	}
	var last time.Duration
	for i, ev := range in.Events {
		at := fmt.Sprintf("events[%d]", i)
		if ev == nil {
			p.Add(at, "must be an event: {\"after\", \"type\", \"data\"}")
			continue
		}
		var e simulation.Event
		if blank(ev.Type) {
			p.Add(at+".type", "is required")
		} else {
			e.Type = strings.TrimSpace(*ev.Type)
		}
		if blank(ev.After) {
			p.Add(at+".after", "is required: how long after start_at the event arrives, e.g. \"2d\" or \"0s\"")
		} else if d, err := durations.Parse(strings.TrimSpace(*ev.After)); err != nil {
			p.Add(at+".after", "%s", err.Error())
		} else if d < last {
			p.Add(at+".after", "must not be earlier than events[%d].after: list events in the order they arrive", i-1)
		} else {
			e.After, last = d, d
		}
		e.Data = ev.Data
		for _, f := range simulation.CheckEvent(e) {
			p.Add(at+"."+f.Path, "%s", f.Message)
		}
		req.Events = append(req.Events, e)
	}
	if errs := p.Errors(); errs != nil {
		return req, invalid(errs)
	}
	return req, nil
}

func simulationAnswer(req simulation.Request, res *simulation.Result) SimulationAnswer {
	out := SimulationAnswer{WorkflowID: req.WorkflowID, ContactID: req.ContactID, Status: res.Status, Reason: res.Reason,
		CurrentStep: res.CurrentStep, StartedAt: utc(res.StartedAt), EndedAt: utc(res.EndedAt),
		Duration: durations.Span(res.EndedAt.Sub(res.StartedAt)), Runs: res.Runs,
		Steps: make([]StepAnswer, len(res.Steps)), Messages: make([]SimulatedMessage, len(res.Messages)),
		Events: make([]SimulatedDelivery, len(res.Delivered)), Warnings: make([]validation.FieldError, len(res.Warnings))}
	if req.Version != 0 {
		out.Version = &req.Version
	}
	if res.Stopped != "" {
		out.Stopped = &res.Stopped
	}
	for i, r := range res.Steps {
		out.Steps[i] = StepAnswer{StepID: r.StepID, Type: r.StepType, Name: r.StepName, Visit: r.Visit, Status: r.Status,
			Attempts: r.Attempts, StartedAt: utc(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt), Output: r.Output, Error: r.Error}
	}
	for i, m := range res.Messages {
		out.Messages[i] = SimulatedMessage{StepID: m.StepID, Channel: m.Channel, To: m.To, From: m.From, Subject: m.Subject, Body: m.Body,
			Status: m.Status, Error: m.Error}
	}
	for i, w := range res.Warnings {
		out.Warnings[i] = validation.FieldError{Path: w.Path, Message: w.Message}
	}
	for i, d := range res.Delivered {
		out.Events[i] = SimulatedDelivery{Type: d.Type, At: utc(d.At)}
	}
	return out
}

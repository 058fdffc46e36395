// Package simulation runs a workflow for one contact on Temporal's
// time-skipping test environment, in process, and reports the path it
// takes: every step with its simulated start and end, the branches, the
// waits and the messages it would send, over weeks of simulated time in
// milliseconds. It runs the real interpreter and the real step code against
// a private copy of the contact's data, so nothing is sent, charged or
// changed: messages are rendered and kept, webhooks answered by a dry
// transport, and the few steps that reach other systems (payments, AI,
// other workflows) are reported as not run.
package simulation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/definition"
)

// Limits of one simulation: long enough for any real sequence, short enough
// that a loop which never ends cannot hold the server.
const (
	DefaultHorizon = 90 * 24 * time.Hour
	MaxHorizon     = 5 * 365 * 24 * time.Hour
	// MaxEvents bounds the events a request may schedule.
	MaxEvents = 100
	// maxRuns bounds continue-as-new: the interpreter carries over every 250
	// steps, so this allows tens of thousands of steps.
	maxRuns = 100
	// DefaultMaxActivities bounds the activities a run may call (a few per
	// step): a loop that waits little over a long horizon stops there.
	DefaultMaxActivities = 20000
	// maxRealTime bounds the wall-clock time of one simulation.
	maxRealTime = 30 * time.Second
)

// ErrBusy is returned when the server is already running as many
// simulations as it allows at once.
var ErrBusy = errors.New("too many simulations are running; try again shortly")

// Options configure a Simulator.
type Options struct {
	// DB is the application database; the simulator only reads it.
	DB  *gorm.DB
	Log *slog.Logger
	// Concurrency is how many simulations may run at once (default 2): each
	// keeps a CPU busy while it runs.
	Concurrency int
	// MaxActivities stops a run that calls more activities (default
	// DefaultMaxActivities).
	MaxActivities int64
}

// Simulator runs simulations.
type Simulator struct {
	opts  Options
	slots chan struct{}
}

// New builds a Simulator.
func New(opts Options) *Simulator {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if opts.MaxActivities <= 0 {
		opts.MaxActivities = DefaultMaxActivities
	}
	return &Simulator{opts: opts, slots: make(chan struct{}, opts.Concurrency)}
}

// Request is one simulation: a definition run for a contact from a start
// time, with events arriving at offsets from it.
type Request struct {
	AccountID  string
	WorkflowID string
	ContactID  string
	// Version is the published version simulated, or 0 for the current
	// (saved) definition.
	Version    int
	Definition *definition.Definition
	// Start is when the simulated enrollment begins (its clock, in UTC).
	Start time.Time
	// Trigger is the event that enrolls the contact (event.* in the run); nil for none.
	Trigger *Event
	// Events arrive at the run at Start plus their After, in order.
	Events []Event
	// Horizon is how far the simulated clock may run; a run still going
	// then is reported as waiting (or running) at its step.
	Horizon time.Duration
}

// Event is an event in a simulation.
type Event struct {
	After time.Duration
	Type  string
	Data  map[string]any
}

// Result is what a simulation found.
type Result struct {
	// Status is the enrollment's status at the end: completed, exited,
	// failed, or waiting / active when the horizon came first.
	Status string
	Reason string
	// CurrentStep is the step the contact is at when the simulation ended.
	CurrentStep string
	StartedAt   time.Time
	// EndedAt is the simulated time the run ended, or the horizon.
	EndedAt time.Time
	Steps   []models.StepExecution
	// Messages are the SMS and emails the run would send, as rendered.
	Messages []models.Message
	// Delivered lists the request's events in the order they reached the
	// run, with when; ones after the run ended are left out.
	Delivered []DeliveredEvent
	// Runs counts the Temporal runs (1 + continue-as-new).
	Runs int
	// Stopped says why the simulation stopped the run before it ended (its
	// horizon, a limit); "" when the run ended.
	Stopped string
	// Warnings say where the simulation differs from what the server
	// would do (a trigger that would not enroll the contact).
	Warnings []Warning
}

// Warning is a difference between the simulation and what the server
// would do, at the path of the request it concerns ("trigger", "events[2]";
// "" for the request as a whole).
type Warning struct {
	Path    string
	Message string
}

// DeliveredEvent is a request event and when it reached the run.
type DeliveredEvent struct {
	Type string
	At   time.Time
}

// Run simulates req. Faults of the request itself are for the caller to
// check (a known contact, a valid definition); Run fails only when the
// simulation cannot run.
func (s *Simulator) Run(ctx context.Context, req Request) (*Result, error) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		return nil, ErrBusy
	}
	if req.Horizon <= 0 {
		req.Horizon = DefaultHorizon
	}
	if req.Start.IsZero() {
		req.Start = time.Now()
	}
	req.Start = req.Start.UTC().Truncate(time.Millisecond)
	ctx, cancel := context.WithTimeout(ctx, maxRealTime)
	defer cancel()
	db, closeDB, err := openSandbox(ctx, s.opts.DB, req.AccountID, req.ContactID, req.WorkflowID)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	e := &models.Enrollment{ID: models.NewID(), AccountID: req.AccountID, WorkflowID: req.WorkflowID, ContactID: req.ContactID,
		Version: req.Version, Status: models.EnrollmentPending, Test: true, StartedAt: req.Start}
	e.EntryKey = "simulation-" + e.ID
	if err := db.WithContext(ctx).Create(e).Error; err != nil {
		return nil, fmt.Errorf("recording the simulated enrollment: %w", err)
	}
	warnings, err := triggerWarnings(ctx, db, req)
	if err != nil {
		return nil, err
	}
	entry, err := entryWarnings(ctx, s.opts.DB, req)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, entry...)
	sim := &run{req: req, db: db, enrollment: e, log: s.opts.Log, maxActivities: s.opts.MaxActivities}
	res, err := sim.execute(ctx)
	if err != nil {
		return nil, err
	}
	res.Warnings = append(warnings, res.Warnings...)
	return res, nil
}

package steps

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/durations"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(drip{}) }

type dripConfig struct {
	BatchSize *int   `json:"batch_size"` // required: nil is refused, not taken as 0
	Interval  string `json:"interval"`
}

// maxDripBatch bounds a batch: a drip exists to spread load out.
const maxDripBatch = 10000

// drip releases the contacts that reach it in batches: batch_size of them
// every interval, inside the workflow's time window. One coordinator
// workflow per drip step keeps the queue (workflows.DripWorkflow); the
// enrollment waits here until the coordinator lets it go.
type drip struct{ noTargets }

func (drip) Type() string { return "drip" }

// Waits: a contact may wait here for its batch.
func (drip) Waits(*definition.Step) bool { return true }

func (drip) Validate(p *validation.Problems, s *definition.Step) {
	var c dripConfig
	if !decodeConfig(p, s.Config, &c) {
		return
	}
	switch {
	case c.BatchSize == nil:
		p.Add("config.batch_size", "is required: how many contacts go on each interval, 1 to %d", maxDripBatch)
	case *c.BatchSize < 1 || *c.BatchSize > maxDripBatch:
		p.Add("config.batch_size", "must be between 1 and %d", maxDripBatch)
	}
	if required(p, "config.interval", c.Interval) {
		validDuration(p, "config.interval", c.Interval)
	}
}

func (drip) Run(ctx workflow.Context, rt Runtime, s *definition.Step) (Outcome, error) {
	var c dripConfig
	if err := mustDecode(s.Config, &c); err != nil {
		return Outcome{}, err
	}
	interval, err := durations.Parse(c.Interval)
	if err != nil {
		return Outcome{}, fail("config.interval: %v", err)
	}
	batch := 0
	if c.BatchSize != nil {
		batch = *c.BatchSize
	}
	key, err := rt.JoinDrip(ctx, s, DripRequest{BatchSize: batch, Interval: interval})
	if err != nil {
		return Outcome{}, err
	}
	if _, err := rt.Wait(ctx, s, WaitSpec{Signal: key, Reason: "its batch of the drip"}); err != nil {
		return Outcome{}, err
	}
	return Outcome{Next: s.Next, Output: map[string]any{"released": true}}, nil
}

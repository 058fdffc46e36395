package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/crmflow/crmflow/workflows/definition"
)

// UpdateMigrate moves a waiting enrollment to a newer published version of
// its workflow (POST /v1/workflows/{id}/migrate sends it). It is an update,
// not a signal, so the caller learns at once whether the run moved.
const UpdateMigrate = "crmflow.migrate"

// MigrateRequest names the version to move to.
type MigrateRequest struct {
	Version int
}

// MigrateResult is what moved.
type MigrateResult struct {
	FromVersion int
	ToVersion   int
	StepID      string
}

// pendingMigration is accepted by the update and applied by the main loop
// when the wait it interrupts returns.
type pendingMigration struct {
	version int
	def     *definition.Definition
}

// handleMigrations accepts moves of a waiting run to a newer version whose
// graph still has the step the contact waits at, as a step of the same type.
// The wait keeps when it began, so its deadline does not move.
func (r *run) handleMigrations(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateMigrate,
		func(ctx workflow.Context, req MigrateRequest) (MigrateResult, error) {
			// While a move loads its version the run does not leave its wait
			// (migrationAccepted), so the step it moves at is still current.
			r.migrating++
			defer func() { r.migrating-- }()
			from := r.in.Version
			step, _ := r.def.StepByID(r.cursor.StepID)
			var res LoadRunResult
			in := LoadVersionInput{Run: r.ref(), Version: req.Version, StepID: step.ID, StepType: step.Type}
			if err := workflow.ExecuteLocalActivity(localCtx(ctx), ActivityLoadVersion, in).Get(ctx, &res); err != nil {
				return MigrateResult{}, fmt.Errorf("moving to version %d: %s", req.Version, failureMessage(err))
			}
			// Another move, accepted while this one loaded, may have gone
			// as far or further: the run keeps the newest, as the database does.
			newest := r.in.Version
			if r.migration != nil && r.migration.version > newest {
				newest = r.migration.version
			}
			if req.Version <= newest {
				return MigrateResult{}, fmt.Errorf("moving to version %d: the enrollment moved to version %d meanwhile", req.Version, newest)
			}
			r.migration = &pendingMigration{version: req.Version, def: &res.Definition}
			return MigrateResult{FromVersion: from, ToVersion: req.Version, StepID: step.ID}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req MigrateRequest) error {
			switch {
			case r.def == nil:
				return fmt.Errorf("the run has not loaded its workflow yet")
			case r.in.Test:
				return fmt.Errorf("test runs keep the definition they were given")
			case req.Version <= r.in.Version:
				return fmt.Errorf("the enrollment is on version %d already; it moves only to a newer one", r.in.Version)
			case r.migration != nil:
				return fmt.Errorf("a move to version %d is in progress", r.migration.version)
			// Only a run blocked in its wait: one that is about to leave it
			// (the wait ended, its log row or a send is on the way, a goal
			// jump is being decided) would apply the move to the next step.
			case !r.waiting || r.cursor.Wait == nil || r.cursor.Wait.StepID != r.cursor.StepID:
				return fmt.Errorf("the enrollment is not waiting (it is running step %q); only waiting enrollments move", r.cursor.StepID)
			}
			return nil
		}})
}

// migrationAccepted waits for moves whose handler is still loading their
// version, then tells whether one was accepted.
func (r *run) migrationAccepted(ctx workflow.Context) (bool, error) {
	if r.migrating > 0 {
		if err := workflow.Await(ctx, func() bool { return r.migrating == 0 }); err != nil {
			return false, err
		}
	}
	return r.migration != nil, nil
}

// applyMigration switches the run to the version a migration loaded (the
// step it waits at exists there, as a step of the same type).
func (r *run) applyMigration(ctx workflow.Context) {
	m := r.migration
	r.migration = nil
	r.def = m.def
	r.in.Version = m.version
	r.goals = watchGoals(m.def)
	// The memo shows the version the run is on (it is no search attribute).
	if err := workflow.UpsertMemo(ctx, map[string]any{"version": m.version}); err != nil {
		workflow.GetLogger(ctx).Warn("updating the run's memo after a migration", "error", err)
	}
}

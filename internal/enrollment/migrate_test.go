package enrollment

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/validation"
)

// updateHandle is a finished update: its result or its failure.
type updateHandle struct {
	res workflows.MigrateResult
	err error
}

func (h updateHandle) WorkflowID() string { return "" }
func (h updateHandle) RunID() string      { return "" }
func (h updateHandle) UpdateID() string   { return "" }
func (h updateHandle) Get(_ context.Context, v any) error {
	if h.err != nil {
		return h.err
	}
	*v.(*workflows.MigrateResult) = h.res
	return nil
}

// fakeRuns answers migrate updates as the runs would, by Temporal id, and
// records what was asked and how many were in flight at once.
type fakeRuns struct {
	mu       sync.Mutex
	asked    []client.UpdateWorkflowOptions
	answer   func(o client.UpdateWorkflowOptions) (workflows.MigrateResult, error)
	inFlight atomic.Int32
	peak     atomic.Int32
	delay    time.Duration
}

func (r *fakeRuns) install(f *fixture) {
	f.tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(
		func(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
			n := r.inFlight.Add(1)
			defer r.inFlight.Add(-1)
			for p := r.peak.Load(); n > p && !r.peak.CompareAndSwap(p, n); p = r.peak.Load() {
			}
			time.Sleep(r.delay)
			r.mu.Lock()
			r.asked = append(r.asked, o)
			r.mu.Unlock()
			res, err := r.answer(o)
			var nf *serviceerror.NotFound
			if errors.As(err, &nf) {
				return nil, err // the server refuses at once: no such running workflow
			}
			return updateHandle{res: res, err: err}, nil
		})
}

func (r *fakeRuns) askedIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, o := range r.asked {
		ids = append(ids, o.WorkflowID)
	}
	sort.Strings(ids)
	return ids
}

// republish publishes the workflow n more times.
func (f *fixture) republish(t *testing.T, wf string, n int) {
	t.Helper()
	defs := &definitions.Service{DB: f.db}
	for range n {
		if _, err := defs.Publish(context.Background(), f.account, wf); err != nil {
			t.Fatal(err)
		}
	}
}

// waiting writes an enrollment of the workflow as it stands in a run.
func (f *fixture) waiting(t *testing.T, wf string, version int, status string, test bool) *models.Enrollment {
	t.Helper()
	id := models.NewID()
	e := &models.Enrollment{ID: id, AccountID: f.account, WorkflowID: wf, ContactID: f.contact, EntryKey: "k-" + id, EntryNo: 1,
		Version: version, Status: status, Test: test, CurrentStep: "s1", TemporalWorkflowID: "run-" + id, StartedAt: time.Now().UTC()}
	if err := f.db.Create(e).Error; err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMigrateAsksEachWaitingEnrollmentOnAnOlderVersion(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	f.republish(t, wf, 2) // versions 1, 2, 3
	moves := f.waiting(t, wf, 1, models.EnrollmentWaiting, false)
	refused := f.waiting(t, wf, 2, models.EnrollmentWaiting, false)
	ended := f.waiting(t, wf, 1, models.EnrollmentWaiting, false)
	newest := f.waiting(t, wf, 3, models.EnrollmentWaiting, false)
	f.waiting(t, wf, 1, models.EnrollmentCompleted, false)
	f.waiting(t, wf, 1, models.EnrollmentActive, false)
	f.waiting(t, wf, 1, models.EnrollmentWaiting, true) // a test run
	runs := &fakeRuns{answer: func(o client.UpdateWorkflowOptions) (workflows.MigrateResult, error) {
		switch o.WorkflowID {
		case moves.TemporalWorkflowID:
			return workflows.MigrateResult{FromVersion: 1, ToVersion: 3, StepID: "s1"}, nil
		case refused.TemporalWorkflowID:
			return workflows.MigrateResult{}, temporal.NewApplicationError(`moving to version 3: step "s1", where the contact waits, does not exist in version 3`, "wrapError")
		}
		return workflows.MigrateResult{}, serviceerror.NewNotFound("workflow execution already completed")
	}}
	runs.install(f)

	rep, err := f.svc.Migrate(context.Background(), f.account, wf, MigrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{moves.TemporalWorkflowID, refused.TemporalWorkflowID, ended.TemporalWorkflowID}
	sort.Strings(want)
	if got := runs.askedIDs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("asked %v, want only the waiting, non-test enrollments on older versions %v", got, want)
	}
	for _, o := range runs.asked {
		req, ok := o.Args[0].(workflows.MigrateRequest)
		if o.UpdateName != workflows.UpdateMigrate || o.RunID != "" || o.WaitForStage != client.WorkflowUpdateStageCompleted || !ok || req.Version != 3 || len(o.Args) != 1 {
			t.Errorf("update options = %+v", o)
		}
	}
	if rep.ToVersion != 3 || rep.Remaining != 0 {
		t.Errorf("report = %+v", rep)
	}
	if len(rep.Migrated) != 1 || rep.Migrated[0] != (Migrated{EnrollmentID: moves.ID, FromVersion: 1, ToVersion: 3, StepID: "s1"}) {
		t.Errorf("migrated = %+v", rep.Migrated)
	}
	reasons := map[string]NotMigrated{}
	for _, n := range rep.NotMigrated {
		reasons[n.EnrollmentID] = n
	}
	if n := reasons[refused.ID]; len(reasons) != 2 || n.Version != 2 || n.StepID != "s1" ||
		n.Reason != `step "s1", where the contact waits, does not exist in version 3` {
		t.Errorf("not migrated = %+v", rep.NotMigrated)
	}
	if n := reasons[ended.ID]; n.Reason != "the run has ended" {
		t.Errorf("the ended run's reason = %q", n.Reason)
	}
	if _, ok := reasons[newest.ID]; ok {
		t.Error("an enrollment on the newest version was reported")
	}
}

func TestMigrateRefusesUnknownWorkflowsAndWorkflowsNeverPublished(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	draft := f.workflow(t, false, false)
	if _, err := f.svc.Migrate(ctx, f.account, draft, MigrateOptions{}); !errors.Is(err, ErrNeverPublished) {
		t.Errorf("never published: %v", err)
	}
	wf := f.workflow(t, false, true)
	if _, err := f.svc.Migrate(ctx, models.NewID(), wf, MigrateOptions{}); !errors.Is(err, ErrWorkflowNotFound) {
		t.Errorf("another account's workflow: %v", err)
	}
	if _, err := f.svc.Migrate(ctx, f.account, models.NewID(), MigrateOptions{}); !errors.Is(err, ErrWorkflowNotFound) {
		t.Errorf("unknown workflow: %v", err)
	}
	var verrs validation.Errors
	if _, err := f.svc.Migrate(ctx, f.account, wf, MigrateOptions{FromVersion: 1}); !errors.As(err, &verrs) || verrs[0].Path != "from_version" {
		t.Errorf("from_version of the newest version: %v", err)
	}
}

func TestMigrateFiltersByVersionAndByNamedEnrollments(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	f.republish(t, wf, 2)
	onV1 := f.waiting(t, wf, 1, models.EnrollmentWaiting, false)
	onV2 := f.waiting(t, wf, 2, models.EnrollmentWaiting, false)
	done := f.waiting(t, wf, 1, models.EnrollmentCompleted, false)
	newest := f.waiting(t, wf, 3, models.EnrollmentWaiting, false)
	other := f.workflow(t, false, true)
	elsewhere := f.waiting(t, other, 1, models.EnrollmentWaiting, false)
	runs := &fakeRuns{answer: func(o client.UpdateWorkflowOptions) (workflows.MigrateResult, error) {
		return workflows.MigrateResult{FromVersion: 1, ToVersion: 3, StepID: "s1"}, nil
	}}
	runs.install(f)
	ctx := context.Background()

	if _, err := f.svc.Migrate(ctx, f.account, wf, MigrateOptions{FromVersion: 2}); err != nil {
		t.Fatal(err)
	}
	if got := runs.askedIDs(); len(got) != 1 || got[0] != onV2.TemporalWorkflowID {
		t.Fatalf("from_version 2 asked %v", got)
	}

	// An id of another workflow is unknown here: nothing is asked at all.
	_, err := f.svc.Migrate(ctx, f.account, wf, MigrateOptions{EnrollmentIDs: []string{onV1.ID, elsewhere.ID}})
	var verrs validation.Errors
	if !errors.As(err, &verrs) || len(verrs) != 1 || verrs[0].Path != "enrollment_ids[1]" {
		t.Fatalf("unknown id: %v", err)
	}
	if n := len(runs.askedIDs()); n != 1 {
		t.Fatalf("%d updates sent for a refused request", n-1)
	}

	rep, err := f.svc.Migrate(ctx, f.account, wf, MigrateOptions{EnrollmentIDs: []string{newest.ID, done.ID, onV1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if got := runs.askedIDs(); len(got) != 2 || !strings.Contains(strings.Join(got, ","), onV1.TemporalWorkflowID) {
		t.Fatalf("named enrollments asked %v", got)
	}
	if len(rep.Migrated) != 1 || rep.Migrated[0].EnrollmentID != onV1.ID {
		t.Errorf("migrated = %+v", rep.Migrated)
	}
	if len(rep.NotMigrated) != 1 || rep.NotMigrated[0].EnrollmentID != done.ID || rep.NotMigrated[0].Reason != "the enrollment is completed; only waiting enrollments move" {
		t.Errorf("not migrated = %+v (the newest one is not reported)", rep.NotMigrated)
	}
}

func TestMigrateCapsEachCallAndGoesOnAfterTheLast(t *testing.T) {
	f := newFixture(t)
	wf := f.workflow(t, false, true)
	f.republish(t, wf, 1)
	rows := make([]models.Enrollment, MaxMigratePerCall+3)
	for i := range rows {
		id := models.NewID()
		rows[i] = models.Enrollment{ID: id, AccountID: f.account, WorkflowID: wf, ContactID: f.contact, EntryKey: id, EntryNo: i + 1,
			Version: 1, Status: models.EnrollmentWaiting, CurrentStep: "s0", TemporalWorkflowID: "run-" + id, StartedAt: time.Now().UTC()}
	}
	if err := f.db.CreateInBatches(rows, 200).Error; err != nil {
		t.Fatal(err)
	}
	// Every run refuses, so each stays a candidate: only After moves on.
	runs := &fakeRuns{delay: time.Millisecond, answer: func(o client.UpdateWorkflowOptions) (workflows.MigrateResult, error) {
		return workflows.MigrateResult{}, temporal.NewApplicationError(`step "s0", where the contact waits, does not exist in version 2`, "MigrationRefused")
	}}
	runs.install(f)
	ctx := context.Background()
	first, err := f.svc.Migrate(ctx, f.account, wf, MigrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.NotMigrated) != MaxMigratePerCall || first.Remaining != 3 || first.Last != first.NotMigrated[MaxMigratePerCall-1].EnrollmentID {
		t.Fatalf("first call: %d not migrated, remaining %d, last %s", len(first.NotMigrated), first.Remaining, first.Last)
	}
	if p := runs.peak.Load(); p > migrateConcurrency || p < 2 {
		t.Errorf("%d updates in flight at once; want a few (at most %d)", p, migrateConcurrency)
	}
	second, err := f.svc.Migrate(ctx, f.account, wf, MigrateOptions{After: first.Last})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.NotMigrated) != 3 || second.Remaining != 0 {
		t.Fatalf("second call: %+v", second)
	}
	if n := len(runs.askedIDs()); n != len(rows) {
		t.Errorf("%d updates for %d enrollments; each is asked once across the calls", n, len(rows))
	}
	for _, n := range second.NotMigrated {
		if n.EnrollmentID <= first.Last {
			t.Errorf("%s was asked again", n.EnrollmentID)
		}
	}
}

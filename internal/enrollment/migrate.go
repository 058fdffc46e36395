package enrollment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/validation"
)

// MaxMigratePerCall bounds the updates one Migrate call sends, so that one
// request stays short; the rest are counted in MigrateReport.Remaining and
// picked up by a call with After.
const MaxMigratePerCall = 1000

// migrateConcurrency is how many updates are in flight at once: a big
// migration stays quick without flooding the worker's task queue.
const migrateConcurrency = 4

// migrateTimeout bounds one update: without a worker a run never answers,
// and the request must not hang on it.
const migrateTimeout = 15 * time.Second

// ErrNeverPublished is a migration of a workflow that has no version yet.
var ErrNeverPublished = errors.New("the workflow has never been published, so there is no version to move enrollments to")

// MigrateOptions narrows which waiting enrollments a migration moves; the
// filters combine.
type MigrateOptions struct {
	// FromVersion, when not 0, moves only enrollments on that version.
	FromVersion int
	// EnrollmentIDs, when given, moves only these (at most MaxMigratePerCall).
	EnrollmentIDs []string
	// After continues a call that left some remaining: its MigrateReport.Last.
	After string
}

// MigrateReport is what a migration did.
type MigrateReport struct {
	ToVersion   int
	Migrated    []Migrated
	NotMigrated []NotMigrated
	// Remaining counts the enrollments left over by the cap; a call with
	// After: Last moves them.
	Remaining int
	// Last is the id of the last enrollment this call tried ("" if none).
	Last string
}

// Migrated is an enrollment that moved.
type Migrated struct {
	EnrollmentID string
	FromVersion  int
	ToVersion    int
	StepID       string
}

// NotMigrated is an enrollment that stays where it is, and why.
type NotMigrated struct {
	EnrollmentID string
	Version      int
	StepID       string
	Reason       string
}

// Migrate moves the workflow's waiting enrollments on older versions to its
// latest published version: each run is asked by the migrate update, which
// moves it only if that version still has the step it waits at. Enrollments
// on the latest version already and test runs are left alone.
func (s *Service) Migrate(ctx context.Context, accountID, workflowID string, opts MigrateOptions) (*MigrateReport, error) {
	var wf models.Workflow
	if err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, workflowID).Limit(1).Find(&wf).Error; err != nil {
		return nil, fmt.Errorf("loading workflow %s to migrate its enrollments: %w", workflowID, err)
	}
	if wf.ID == "" {
		return nil, ErrWorkflowNotFound
	}
	if wf.Version == 0 {
		return nil, ErrNeverPublished
	}
	to := wf.Version
	if opts.FromVersion >= to {
		return nil, validation.Errors{{Path: "from_version", Message: fmt.Sprintf("must be older than the latest published version, %d", to)}}
	}
	if len(opts.EnrollmentIDs) > MaxMigratePerCall {
		return nil, validation.Errors{{Path: "enrollment_ids", Message: fmt.Sprintf("at most %d per call", MaxMigratePerCall)}}
	}
	report := &MigrateReport{ToVersion: to, Migrated: []Migrated{}, NotMigrated: []NotMigrated{}}
	scope := func() *gorm.DB {
		q := s.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("account_id = ? AND workflow_id = ?", accountID, wf.ID)
		if opts.After != "" {
			q = q.Where("id > ?", opts.After)
		}
		return q
	}
	if len(opts.EnrollmentIDs) > 0 {
		named, err := s.explainNamed(scope(), opts, to, report)
		if err != nil {
			return nil, err
		}
		if named == 0 {
			return report, nil
		}
	}
	q := scope().Where("status = ? AND test = ? AND version < ?", models.EnrollmentWaiting, false, to)
	if opts.FromVersion != 0 {
		q = q.Where("version = ?", opts.FromVersion)
	}
	if len(opts.EnrollmentIDs) > 0 {
		q = q.Where("id IN ?", opts.EnrollmentIDs)
	}
	q = q.Session(&gorm.Session{}) // counted, then read
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, fmt.Errorf("counting waiting enrollments of workflow %s: %w", wf.ID, err)
	}
	var batch []models.Enrollment
	if err := q.Order("id").Limit(MaxMigratePerCall).Find(&batch).Error; err != nil {
		return nil, fmt.Errorf("finding waiting enrollments of workflow %s: %w", wf.ID, err)
	}
	if len(batch) > 0 {
		report.Last = batch[len(batch)-1].ID
		report.Remaining = max(int(total)-len(batch), 0)
	}
	s.migrateBatch(ctx, batch, to, report)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("migrating enrollments of workflow %s: %w", wf.ID, err)
	}
	sortReport(report)
	return report, nil
}

// explainNamed checks the named enrollments exist in the workflow (else a
// fault per id) and reports those that are not candidates and why; it
// returns how many are candidates. Ones on the latest version already are
// where the caller wants them: they are not reported.
func (s *Service) explainNamed(q *gorm.DB, opts MigrateOptions, to int, report *MigrateReport) (int, error) {
	var rows []models.Enrollment
	if err := q.Where("id IN ?", opts.EnrollmentIDs).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("loading the enrollments to migrate: %w", err)
	}
	found := make(map[string]*models.Enrollment, len(rows))
	for i := range rows {
		found[rows[i].ID] = &rows[i]
	}
	var faults validation.Errors
	candidates := 0
	for i, id := range opts.EnrollmentIDs {
		e, ok := found[id]
		if !ok {
			if opts.After == "" || id > opts.After {
				faults = append(faults, validation.FieldError{Path: fmt.Sprintf("enrollment_ids[%d]", i), Message: "no enrollment of this workflow has this id"})
			}
			continue
		}
		reason := ""
		switch {
		case e.Version >= to:
			continue
		case e.Test:
			reason = "test runs keep the definition they were given"
		case opts.FromVersion != 0 && e.Version != opts.FromVersion:
			reason = fmt.Sprintf("the enrollment is on version %d, not from_version %d", e.Version, opts.FromVersion)
		case e.Status != models.EnrollmentWaiting:
			reason = fmt.Sprintf("the enrollment is %s; only waiting enrollments move", e.Status)
		default:
			candidates++
			continue
		}
		report.NotMigrated = append(report.NotMigrated, NotMigrated{EnrollmentID: e.ID, Version: e.Version, StepID: e.CurrentStep, Reason: reason})
	}
	if faults != nil {
		return 0, faults
	}
	return candidates, nil
}

// migrateBatch sends the update to each enrollment, a few at a time, in id
// order; once ctx ends, no more are sent.
func (s *Service) migrateBatch(ctx context.Context, batch []models.Enrollment, to int, report *MigrateReport) {
	var mu sync.Mutex
	jobs := make(chan *models.Enrollment)
	var wg sync.WaitGroup
	for range min(migrateConcurrency, len(batch)) {
		wg.Go(func() {
			for e := range jobs {
				res, reason := s.migrateOne(ctx, e, to)
				mu.Lock()
				if reason == "" {
					report.Migrated = append(report.Migrated, Migrated{EnrollmentID: e.ID, FromVersion: res.FromVersion, ToVersion: res.ToVersion, StepID: res.StepID})
				} else {
					report.NotMigrated = append(report.NotMigrated, NotMigrated{EnrollmentID: e.ID, Version: e.Version, StepID: e.CurrentStep, Reason: reason})
				}
				mu.Unlock()
			}
		})
	}
	for i := range batch {
		if ctx.Err() != nil {
			break
		}
		jobs <- &batch[i]
	}
	close(jobs)
	wg.Wait()
}

// migrateOne asks one run to move; reason is why it did not ("" if it did).
func (s *Service) migrateOne(ctx context.Context, e *models.Enrollment, to int) (res workflows.MigrateResult, reason string) {
	if e.TemporalWorkflowID == "" {
		return res, "the run has not started yet"
	}
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   e.TemporalWorkflowID,
		UpdateName:   workflows.UpdateMigrate,
		Args:         []any{workflows.MigrateRequest{Version: to}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		return res, refusal(err, to)
	}
	return res, ""
}

// refusal is the reason an update gives for not moving a run: the
// validator's or the handler's own message (without the handler's "moving
// to version N: ", which the report says already), or what kept it from
// answering.
func refusal(err error, to int) string {
	var appErr *temporal.ApplicationError
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		return strings.TrimPrefix(appErr.Message(), fmt.Sprintf("moving to version %d: ", to))
	case errors.As(err, &nf):
		return "the run has ended"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, new(*client.WorkflowUpdateServiceTimeoutOrCanceledError)):
		return fmt.Sprintf("the run did not answer within %s (is a worker running?); it may still move", migrateTimeout)
	}
	return "could not reach the run: " + err.Error()
}

// sortReport orders both lists by enrollment id, as the runs were asked.
func sortReport(r *MigrateReport) {
	slices.SortFunc(r.Migrated, func(a, b Migrated) int { return cmp.Compare(a.EnrollmentID, b.EnrollmentID) })
	slices.SortFunc(r.NotMigrated, func(a, b NotMigrated) int { return cmp.Compare(a.EnrollmentID, b.EnrollmentID) })
}

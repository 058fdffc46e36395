// Package enrollment puts contacts into workflows: it matches events against
// published triggers, writes the enrollment row that enforces "one per
// contact per workflow per entry", and starts the interpreter run on Temporal.
package enrollment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/metrics"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
	"github.com/crmflow/crmflow/workflows/definition"
)

// Errors the API turns into answers.
var (
	ErrWorkflowNotFound = errors.New("workflow not found")
	ErrContactNotFound  = errors.New("contact not found")
	ErrNotFound         = errors.New("enrollment not found")
	ErrNotPublished     = errors.New("the workflow is not published: publish it before enrolling contacts")
)

// Search attribute keys on every enrollment run, so support staff can find a
// contact's runs in the Temporal UI. Ids only: no personal data.
var (
	AttrAccountID  = temporal.NewSearchAttributeKeyKeyword("CrmAccountId")
	AttrWorkflowID = temporal.NewSearchAttributeKeyKeyword("CrmWorkflowId")
	AttrContactID  = temporal.NewSearchAttributeKeyKeyword("CrmContactId")
)

// SearchAttributeTypes registers those keys on a namespace.
var SearchAttributeTypes = map[string]enumspb.IndexedValueType{
	"CrmAccountId":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"CrmWorkflowId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"CrmContactId":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// Service enrolls contacts.
type Service struct {
	DB       *gorm.DB
	Temporal client.Client
	Log      *slog.Logger
	// UIBaseURL is the Temporal Web UI (for links in enrollment answers).
	UIBaseURL string
	Namespace string
	// Metrics counts started runs; nil counts nothing.
	Metrics *metrics.Metrics

	triggers sync.Map // published trigger row id -> *definition.Trigger
}

// Request asks for one enrollment.
type Request struct {
	AccountID  string
	WorkflowID string
	ContactID  string
	TriggerID  string
	// Scope enrolls once per object (see triggers.Scoped); "" is per contact.
	Scope string
	Event *models.Event
	// Test runs the workflow's current definition, draft or not, marked as a test.
	Test bool
	// ContactFree enrolls no contact (ContactID stays ""): the run of a
	// scheduler trigger, whose steps that need a contact are skipped.
	ContactFree bool
	// Once enrolls at most once for Scope, whatever the re-entry setting:
	// the scope names one occurrence (a birthday, a scheduled time), so a
	// schedule that fires twice or a retried activity enrolls nobody twice.
	Once bool
	// ID, when set, is the new enrollment's id: an add_to_workflow step
	// chooses it ahead so that its retry finds the enrollment it made.
	ID string
	// Chain lists the workflows whose add_to_workflow steps led here, the
	// outermost first; it is kept on the enrollment so that nested adds
	// stop at a depth limit (see steps.MaxWorkflowDepth).
	Chain []string
}

// Enroll enrolls the contact unless the re-entry setting forbids it: with
// re-entry off a contact enters a workflow once; with it on, again only after
// its last entry finished. created is false when an existing enrollment was
// returned instead. Safe under concurrency: the unique (workflow, contact,
// entry) index lets exactly one writer win.
func (s *Service) Enroll(ctx context.Context, req Request) (e *models.Enrollment, created bool, err error) {
	wf, def, version, err := s.loadWorkflow(ctx, req)
	if err != nil {
		return nil, false, err
	}
	var contact models.Contact
	if req.ContactFree {
		if req.ContactID != "" {
			return nil, false, fmt.Errorf("enrolling into workflow %s: a contact-free run names no contact", req.WorkflowID)
		}
	} else if err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", req.AccountID, req.ContactID).First(&contact).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, false, ErrContactNotFound
		}
		return nil, false, fmt.Errorf("loading contact: %w", err)
	}
	e = &models.Enrollment{
		ID: req.ID, AccountID: req.AccountID, WorkflowID: wf.ID, ContactID: contact.ID,
		Version: version, Status: models.EnrollmentPending, Test: req.Test, TriggerID: req.TriggerID,
		EntryScope: req.Scope, Chain: req.Chain, StartedAt: time.Now().UTC(),
	}
	if e.ID == "" {
		e.ID = models.NewID()
	}
	if req.Event != nil {
		e.EventID = req.Event.ID
	}
	if req.Test {
		e.EntryKey = "test-" + e.ID
	} else {
		existing, err := s.reserveEntry(ctx, e, def.Settings.AllowReentry && !req.Once)
		if err != nil || existing != nil {
			return existing, false, err
		}
	}
	if req.Test {
		if err := s.DB.WithContext(ctx).Create(e).Error; err != nil {
			return nil, false, fmt.Errorf("recording test enrollment: %w", err)
		}
	}
	if err := s.start(ctx, e, wf, &contact, def, req); err != nil {
		// The row stays pending; the sweeper starts it again later.
		return e, true, err
	}
	return e, true, nil
}

// reserveEntry writes the enrollment row with the next entry number, or
// returns the enrollment that makes a new one unwanted.
func (s *Service) reserveEntry(ctx context.Context, e *models.Enrollment, allowReentry bool) (*models.Enrollment, error) {
	for attempt := 0; attempt < 5; attempt++ {
		var last models.Enrollment
		err := s.DB.WithContext(ctx).Where("workflow_id = ? AND contact_id = ? AND test = ? AND entry_scope = ?",
			e.WorkflowID, e.ContactID, false, e.EntryScope).Order("entry_no DESC").Limit(1).Find(&last).Error
		if err != nil {
			return nil, fmt.Errorf("reading earlier enrollments: %w", err)
		}
		if last.ID != "" && (!allowReentry || !terminal(last.Status)) {
			return &last, nil
		}
		e.EntryNo = last.EntryNo + 1
		e.EntryKey = strconv.Itoa(e.EntryNo)
		if e.EntryScope != "" {
			e.EntryKey = e.EntryScope + "/" + e.EntryKey
		}
		err = s.DB.WithContext(ctx).Create(e).Error
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, fmt.Errorf("recording enrollment: %w", err)
		}
		// Another trigger enrolled the contact at the same moment: read again.
	}
	return nil, fmt.Errorf("recording enrollment: too much contention for contact %s", e.ContactID)
}

func terminal(status string) bool {
	switch status {
	case models.EnrollmentCompleted, models.EnrollmentExited, models.EnrollmentFailed:
		return true
	}
	return false
}

func (s *Service) loadWorkflow(ctx context.Context, req Request) (*models.Workflow, *definition.Definition, int, error) {
	var wf models.Workflow
	if err := s.DB.WithContext(ctx).Where("account_id = ? AND id = ?", req.AccountID, req.WorkflowID).First(&wf).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, 0, ErrWorkflowNotFound
		}
		return nil, nil, 0, fmt.Errorf("loading workflow: %w", err)
	}
	if req.Test {
		def, err := decodeDefinition(wf.Definition)
		return &wf, def, wf.Version, err
	}
	if wf.Status != models.WorkflowPublished {
		return nil, nil, 0, ErrNotPublished
	}
	def, err := s.versionDefinition(ctx, wf.ID, wf.Version)
	if err != nil {
		return nil, nil, 0, err
	}
	return &wf, def, wf.Version, nil
}

// versionDefinition loads a published version's definition.
func (s *Service) versionDefinition(ctx context.Context, workflowID string, version int) (*definition.Definition, error) {
	var v models.WorkflowVersion
	if err := s.DB.WithContext(ctx).Where("workflow_id = ? AND version = ?", workflowID, version).First(&v).Error; err != nil {
		return nil, fmt.Errorf("loading version %d of workflow %s: %w", version, workflowID, err)
	}
	return decodeDefinition(v.Definition)
}

func decodeDefinition(raw []byte) (*definition.Definition, error) {
	var def definition.Definition
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, fmt.Errorf("reading workflow definition: %w", err)
	}
	return &def, nil
}

// TemporalID is the readable, deterministic id of an enrollment's run.
func TemporalID(e *models.Enrollment) string {
	contact := e.ContactID
	if contact == "" {
		contact = NoContact
	}
	id := "enroll/" + e.WorkflowID + "/" + contact + "/" + e.EntryKey
	if e.Retries > 0 {
		id += "/retry-" + strconv.Itoa(e.Retries)
	}
	return id
}

// NoContact stands for the contact in the run id of a contact-free run.
const NoContact = "no-contact"

// start starts (or finds, if already started) the interpreter run.
func (s *Service) start(ctx context.Context, e *models.Enrollment, wf *models.Workflow, c *models.Contact, def *definition.Definition, req Request) error {
	in := workflows.Input{RunRef: workflows.RunRef{
		AccountID: e.AccountID, WorkflowID: e.WorkflowID, Version: e.Version, ContactID: e.ContactID,
		EnrollmentID: e.ID, Test: e.Test, Chain: e.Chain,
	}}
	if req.Test {
		in.Definition = def
	}
	if ev := req.Event; ev != nil {
		in.Event = &workflows.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data, OccurredAt: ev.OccurredAt}
	}
	if e.Retries > 0 { // a retry resumes where the enrollment failed
		cursor, err := s.resumeCursor(ctx, e)
		if err != nil {
			return err
		}
		in.Cursor = cursor
	}
	opts := client.StartWorkflowOptions{
		ID:                       TemporalID(e),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    runAttributes(e),
		Memo:                     map[string]any{"workflow": wf.Name, "contact": c.DisplayName(), "version": e.Version, "test": e.Test},
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.InterpretWorkflow, in)
	if err != nil {
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		if !errors.As(err, &already) {
			return fmt.Errorf("starting enrollment run: %w", err)
		}
	} else {
		// A start Temporal accepted. With USE_EXISTING a repeat start of a
		// running run also lands here; that only happens when the sweeper
		// restarts an enrollment whose run id was never written (a crash
		// between the two), so the count is exact but for crashes.
		s.Metrics.Enrollment(e.WorkflowID, metrics.EnrollmentStarted)
	}
	updates := map[string]any{"temporal_workflow_id": opts.ID}
	if run != nil {
		updates["temporal_run_id"] = run.GetRunID()
		e.TemporalRunID = run.GetRunID()
	}
	e.TemporalWorkflowID = opts.ID
	// Only fill in what the run's own first step has not written yet.
	return s.DB.WithContext(ctx).Model(&models.Enrollment{}).Where("id = ? AND temporal_run_id = ''", e.ID).Updates(updates).Error
}

// runAttributes are the search attributes of a run; a contact-free run has
// no CrmContactId.
func runAttributes(e *models.Enrollment) temporal.SearchAttributes {
	attrs := []temporal.SearchAttributeUpdate{AttrAccountID.ValueSet(e.AccountID), AttrWorkflowID.ValueSet(e.WorkflowID)}
	if e.ContactID != "" {
		attrs = append(attrs, AttrContactID.ValueSet(e.ContactID))
	}
	return temporal.NewSearchAttributes(attrs...)
}

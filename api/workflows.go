package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/check"
	"github.com/crmflow/crmflow/workflows/definition"
)

// readOnlyWorkflowFields are the answer's own fields. A body that carries
// them (a GET answer edited and PUT back) is accepted; they are ignored.
// workflow_id and published_at are a version answer's (versions.go), so one
// sent back as is restores that version as the draft.
var readOnlyWorkflowFields = []string{"id", "status", "version", "has_unpublished_changes", "created_at", "updated_at", "warnings",
	"workflow_id", "published_at"}

// workflowAnswer is the stored definition plus the workflow's own fields.
// It is built from the stored JSON so that the answer shows exactly what
// was saved, fields and all. warnings (check.Warnings) name what is
// allowed but may not do what the author means, such as a wait that may
// never end; they never block save or publish.
func workflowAnswer(wf *models.Workflow) (map[string]json.RawMessage, error) {
	out, err := definitionFields(wf.Definition)
	if err != nil {
		return nil, fmt.Errorf("reading definition of workflow %s: %w", wf.ID, err)
	}
	// Saved definitions passed check.Parse; one that no longer decodes
	// (an older shape) warns of nothing rather than failing the answer.
	var def definition.Definition
	_ = json.Unmarshal(wf.Definition, &def)
	set := func(k string, v any) {
		b, _ := json.Marshal(v)
		out[k] = b
	}
	set("id", wf.ID)
	set("status", wf.Status)
	set("version", wf.Version)
	set("has_unpublished_changes", wf.UnpublishedChanges)
	set("created_at", utc(wf.CreatedAt))
	set("updated_at", utc(wf.UpdatedAt))
	set("warnings", check.Warnings(&def))
	return out, nil
}

func (s *server) answerWorkflow(c echo.Context, status int, wf *models.Workflow) error {
	out, err := workflowAnswer(wf)
	if err != nil {
		return err
	}
	if err := s.addWebhookURLs(c, wf, out); err != nil {
		return err
	}
	return c.JSON(status, out)
}

// definitionBody is the request body as a definition: well-formed JSON
// (else 400), an object (else 422), without the read-only fields. The
// definitions service then checks it strictly and names each fault.
func definitionBody(c echo.Context) ([]byte, error) {
	raw, err := readJSON(c)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, malformed(err)
	}
	found := false
	for _, k := range readOnlyWorkflowFields {
		if _, ok := obj[k]; ok {
			delete(obj, k)
			found = true
		}
	}
	if stripTriggerAnswerFields(obj) {
		found = true
	}
	if found {
		if raw, err = json.Marshal(obj); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

func (s *server) createWorkflow(c echo.Context) error {
	raw, err := definitionBody(c)
	if err != nil {
		return err
	}
	wf, _, err := s.definitions.Create(c.Request().Context(), account(c).ID, raw)
	if err != nil {
		return err
	}
	return s.answerWorkflow(c, http.StatusCreated, wf)
}

func (s *server) getWorkflow(c echo.Context) error {
	wf, err := s.definitions.Get(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return err
	}
	return s.answerWorkflow(c, http.StatusOK, wf)
}

// updateWorkflow replaces the current definition; a published workflow
// keeps running its published version until it is published again.
func (s *server) updateWorkflow(c echo.Context) error {
	raw, err := definitionBody(c)
	if err != nil {
		return err
	}
	ctx, acct, id := c.Request().Context(), account(c).ID, param(c, "id")
	if _, _, err := s.definitions.Update(ctx, acct, id, raw); err != nil {
		return err
	}
	// Read back: Update's result keeps the old updated_at.
	wf, err := s.definitions.Get(ctx, acct, id)
	if err != nil {
		return err
	}
	return s.answerWorkflow(c, http.StatusOK, wf)
}

func (s *server) deleteWorkflow(c echo.Context) error {
	if err := s.definitions.Delete(c.Request().Context(), account(c).ID, param(c, "id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// publishWorkflow validates the current definition again and freezes it as
// the next version; new enrollments start on it.
func (s *server) publishWorkflow(c echo.Context) error {
	wf, err := s.definitions.Publish(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		if errors.Is(err, definitions.ErrConcurrentPublish) {
			return typed(http.StatusConflict, typeConflict, "Conflict", "the workflow was published concurrently; try again")
		}
		return err
	}
	return s.answerWorkflow(c, http.StatusOK, wf)
}

// draftWorkflow stops new enrollments; running ones go on.
func (s *server) draftWorkflow(c echo.Context) error {
	wf, err := s.definitions.Draft(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return err
	}
	return s.answerWorkflow(c, http.StatusOK, wf)
}

// listWorkflows lists workflows, optionally only those of one ?status=.
func (s *server) listWorkflows(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	status := qr.oneOf("status", []string{models.WorkflowDraft, models.WorkflowPublished})
	if err := qr.err(); err != nil {
		return err
	}
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", account(c).ID)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var rows []models.Workflow
	if err := p.apply(q).Find(&rows).Error; err != nil {
		return err
	}
	rows, next := cut(p, rows, func(w *models.Workflow) string { return w.ID })
	items := make([]map[string]json.RawMessage, len(rows))
	for i := range rows {
		var err error
		if items[i], err = workflowAnswer(&rows[i]); err != nil {
			return err
		}
		if err := s.addWebhookURLs(c, &rows[i], items[i]); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, List[map[string]json.RawMessage]{Items: items, NextCursor: next})
}

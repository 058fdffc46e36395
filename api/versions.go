package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// VersionAnswer is an item of a workflow's published versions.
type VersionAnswer struct {
	WorkflowID  string    `json:"workflow_id"`
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
}

func (s *server) versionRoutes(e *echo.Echo) {
	s.v1(e, http.MethodGet, "/v1/workflows/:id/versions", s.listVersions)
	s.v1(e, http.MethodGet, "/v1/workflows/:id/versions/:version", s.getVersion)
}

// listVersions answers the workflow's published versions, newest first.
// The cursor is the last row's id, like every list's; the service pages by
// version number.
func (s *server) listVersions(c echo.Context) error {
	p, err := readPage(c)
	if err != nil {
		return err
	}
	rows, err := s.definitions.Versions(c.Request().Context(), account(c).ID, param(c, "id"), p.after, p.limit+1)
	if errors.Is(err, definitions.ErrVersionCursor) {
		return badQuery("cursor", "is not a cursor of this workflow's versions; pass next_cursor from the previous page")
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(v *models.WorkflowVersion) string { return v.ID },
		func(v *models.WorkflowVersion) VersionAnswer {
			return VersionAnswer{WorkflowID: v.WorkflowID, Version: v.Version, PublishedAt: utc(v.PublishedAt)}
		}))
}

// getVersion answers one published version: its definition exactly as it
// was published, whatever was saved or published since.
func (s *server) getVersion(c echo.Context) error {
	n, err := strconv.Atoi(param(c, "version"))
	if err != nil || n < 1 {
		msg := "must be a version number (an integer, 1 or more)"
		return problem(http.StatusBadRequest, "version: "+msg, validation.FieldError{Path: "version", Message: msg})
	}
	id := param(c, "id")
	v, err := s.definitions.Version(c.Request().Context(), account(c).ID, id, n)
	if errors.Is(err, definitions.ErrVersionNotFound) {
		return notFound("workflow version", validation.FieldError{Path: "version",
			Message: fmt.Sprintf("the workflow has no published version %d", n)})
	} else if err != nil {
		return err
	}
	out, err := definitionFields(v.Definition)
	if err != nil {
		return fmt.Errorf("reading version %d of workflow %s: %w", v.Version, id, err)
	}
	set := func(k string, val any) {
		b, _ := json.Marshal(val)
		out[k] = b
	}
	set("workflow_id", v.WorkflowID)
	set("version", v.Version)
	set("published_at", utc(v.PublishedAt))
	return c.JSON(http.StatusOK, out)
}

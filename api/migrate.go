package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/workflows/validation"
)

// migrateRoutes move waiting enrollments to the latest published version.
func (s *server) migrateRoutes(e *echo.Echo) {
	s.v1(e, http.MethodPost, "/v1/workflows/:id/migrate", s.migrateEnrollments)
}

// migrateInput narrows a migration; every field is optional.
type migrateInput struct {
	FromVersion   *int     `json:"from_version"`
	EnrollmentIDs []string `json:"enrollment_ids"`
	// Cursor is the next_cursor of an answer that left some remaining.
	Cursor *string `json:"cursor"`
}

// MigrateAnswer reports a migration.
type MigrateAnswer struct {
	ToVersion   int               `json:"to_version"`
	Migrated    []MigratedAnswer  `json:"migrated"`
	NotMigrated []NotMigratedItem `json:"not_migrated"`
	Remaining   int               `json:"remaining"`
	NextCursor  *string           `json:"next_cursor"`
}

// MigratedAnswer is an enrollment that moved.
type MigratedAnswer struct {
	EnrollmentID string `json:"enrollment_id"`
	FromVersion  int    `json:"from_version"`
	ToVersion    int    `json:"to_version"`
	StepID       string `json:"step_id"`
}

// NotMigratedItem is an enrollment that stays on its version, and why.
type NotMigratedItem struct {
	EnrollmentID string `json:"enrollment_id"`
	Version      int    `json:"version"`
	StepID       string `json:"step_id"`
	Reason       string `json:"reason"`
}

// migrateEnrollments moves the workflow's waiting enrollments to its latest
// published version, where the step each waits at still exists. The body
// may be left out: then every waiting enrollment on an older version moves.
func (s *server) migrateEnrollments(c echo.Context) error {
	opts, err := readMigrateInput(c)
	if err != nil {
		return err
	}
	rep, err := s.enrollments.Migrate(c.Request().Context(), account(c).ID, param(c, "id"), opts)
	if errors.Is(err, enrollment.ErrNeverPublished) {
		return typed(http.StatusConflict, typeNotPublished, "Workflow not published", err.Error())
	}
	if err != nil {
		return err
	}
	out := MigrateAnswer{ToVersion: rep.ToVersion, Remaining: rep.Remaining,
		Migrated: make([]MigratedAnswer, len(rep.Migrated)), NotMigrated: make([]NotMigratedItem, len(rep.NotMigrated))}
	for i, m := range rep.Migrated {
		out.Migrated[i] = MigratedAnswer{EnrollmentID: m.EnrollmentID, FromVersion: m.FromVersion, ToVersion: m.ToVersion, StepID: m.StepID}
	}
	for i, m := range rep.NotMigrated {
		out.NotMigrated[i] = NotMigratedItem{EnrollmentID: m.EnrollmentID, Version: m.Version, StepID: m.StepID, Reason: m.Reason}
	}
	if rep.Remaining > 0 && rep.Last != "" {
		next := encodeCursor(rep.Last)
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

// readMigrateInput reads the optional body and checks what can be checked
// without the database, naming each fault.
func readMigrateInput(c echo.Context) (enrollment.MigrateOptions, error) {
	var opts enrollment.MigrateOptions
	raw, err := readBody(c)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return opts, err
	}
	var in migrateInput
	if err := bindJSON(c, &in); err != nil {
		return opts, err
	}
	var faults validation.Errors
	if in.FromVersion != nil {
		if *in.FromVersion < 1 {
			faults = append(faults, validation.FieldError{Path: "from_version", Message: "must be a version number, 1 or more"})
		}
		opts.FromVersion = *in.FromVersion
	}
	if in.EnrollmentIDs != nil {
		if len(in.EnrollmentIDs) == 0 {
			faults = append(faults, validation.FieldError{Path: "enrollment_ids", Message: "must name at least one enrollment; leave it out to migrate every waiting one"})
		}
		if len(in.EnrollmentIDs) > enrollment.MaxMigratePerCall {
			faults = append(faults, validation.FieldError{Path: "enrollment_ids", Message: fmt.Sprintf("at most %d per call", enrollment.MaxMigratePerCall)})
		}
		seen := map[string]int{}
		for i, id := range in.EnrollmentIDs {
			path := fmt.Sprintf("enrollment_ids[%d]", i)
			if id == "" {
				faults = append(faults, validation.FieldError{Path: path, Message: "must be an enrollment id"})
				continue
			}
			if first, dup := seen[id]; dup {
				faults = append(faults, validation.FieldError{Path: path, Message: fmt.Sprintf("given twice (also enrollment_ids[%d])", first)})
				continue
			}
			seen[id] = i
		}
		opts.EnrollmentIDs = in.EnrollmentIDs
	}
	if in.Cursor != nil {
		id, ok := decodeCursor(*in.Cursor)
		if !ok {
			faults = append(faults, validation.FieldError{Path: "cursor", Message: "is not a cursor this API returned; pass next_cursor from the previous answer"})
		}
		opts.After = id
	}
	if faults != nil {
		return opts, invalid(faults)
	}
	return opts, nil
}

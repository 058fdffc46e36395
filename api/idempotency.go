package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	maxIdempotencyKeyLen = 255
	// inFlightTimeout is how long a first request may hold its key before a
	// repeat may take over: a process that died mid-request never finishes
	// its record, and its key must not stay locked forever.
	inFlightTimeout = 2 * time.Minute
	// ctxStoredBody lets a handler store a different body than it answers
	// (POST /v1/accounts stores its answer without the API key).
	ctxStoredBody = "crmflow.idempotency.stored_body"
	// adminScope is the "account" of idempotency keys sent with the admin key.
	adminScope = "admin"
)

// idempotent makes a mutating request with an Idempotency-Key happen once:
// the first answer (status and body) is stored per (account, key), and a
// repeat gets it back without running again. The key is claimed before the
// handler runs, so a repeat arriving meanwhile answers 409 instead of
// running twice. Server errors (5xx) are not stored: the request may be
// retried with the same key.
func (s *server) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get(headerIdempotencyKey)
		if key == "" {
			return next(c)
		}
		if len(key) > maxIdempotencyKeyLen {
			return typed(http.StatusBadRequest, typeBadQuery, "Invalid Idempotency-Key",
				fmt.Sprintf("the Idempotency-Key header is at most %d characters", maxIdempotencyKeyLen),
				validation.FieldError{Path: headerIdempotencyKey, Message: fmt.Sprintf("at most %d characters", maxIdempotencyKeyLen)})
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		r := c.Request()
		rec := models.IdempotencyRecord{AccountID: adminScope, Key: key, Method: r.Method, Path: r.URL.Path,
			RequestHash: requestHash(r, body)}
		if a := account(c); a != nil {
			rec.AccountID = a.ID
		}
		// Bookkeeping must survive a client that hangs up mid-request.
		ctx := context.WithoutCancel(r.Context())
		claimed, err := s.claim(ctx, &rec)
		if err != nil {
			return err
		}
		if !claimed {
			return s.replay(c, &rec)
		}
		return s.runOnce(ctx, c, &rec, next)
	}
}

// claim inserts the in-flight record, or loads the one already there.
func (s *server) claim(ctx context.Context, rec *models.IdempotencyRecord) (bool, error) {
	for attempt := 0; attempt < 2; attempt++ {
		res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(rec)
		if res.Error != nil {
			return false, fmt.Errorf("claiming idempotency key: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			return true, nil
		}
		var prev models.IdempotencyRecord
		err := s.db.WithContext(ctx).Where(recordID(rec)).Limit(1).Find(&prev).Error
		if err != nil {
			return false, fmt.Errorf("loading idempotency record: %w", err)
		}
		if prev.Key == "" {
			continue // finished with a server error and released meanwhile
		}
		if !prev.Done && time.Since(prev.CreatedAt) > inFlightTimeout {
			// Abandoned by a crashed process: release it and claim again.
			err := s.db.WithContext(ctx).Where(recordID(rec)).
				Where("done = ? AND created_at < ?", false, time.Now().UTC().Add(-inFlightTimeout)).Delete(&models.IdempotencyRecord{}).Error
			if err != nil {
				return false, fmt.Errorf("releasing abandoned idempotency key: %w", err)
			}
			continue
		}
		if prev.Method != rec.Method || prev.Path != rec.Path || prev.RequestHash != rec.RequestHash {
			return false, typed(http.StatusUnprocessableEntity, typeIdemReused, "Idempotency-Key reused",
				fmt.Sprintf("this Idempotency-Key was first used for a different request (%s %s); use a new key for a new request",
					prev.Method, prev.Path),
				validation.FieldError{Path: headerIdempotencyKey, Message: "already used for a different request"})
		}
		*rec = prev
		return false, nil
	}
	return false, errors.New("claiming idempotency key: too much contention")
}

// runOnce runs the handler, capturing its answer, and stores it.
func (s *server) runOnce(ctx context.Context, c echo.Context, rec *models.IdempotencyRecord, next echo.HandlerFunc) error {
	res := c.Response()
	capture := &teeWriter{ResponseWriter: res.Writer}
	res.Writer = capture
	stored := false
	defer func() {
		res.Writer = capture.ResponseWriter
		if !stored {
			// A panic or an unwritten answer: free the key for a retry.
			s.release(ctx, rec)
		}
	}()
	if err := next(c); err != nil {
		// Write the error answer now, so it is what gets stored.
		c.Error(err)
	}
	if res.Status >= 500 || !res.Committed {
		return nil
	}
	body := capture.buf.Bytes()
	if alt, ok := c.Get(ctxStoredBody).([]byte); ok {
		body = alt
	}
	err := s.db.WithContext(ctx).Model(&models.IdempotencyRecord{}).
		Where(recordID(rec)).
		Updates(map[string]any{"done": true, "status": res.Status, "body": body}).Error
	if err != nil {
		// The answer is already sent; the key stays in flight until it times out.
		s.log.ErrorContext(ctx, "storing idempotent answer failed", "key", rec.Key, "error", err)
	}
	stored = true
	return nil
}

func (s *server) release(ctx context.Context, rec *models.IdempotencyRecord) {
	err := s.db.WithContext(ctx).Where(recordID(rec)).Where("done = ?", false).
		Delete(&models.IdempotencyRecord{}).Error
	if err != nil {
		s.log.ErrorContext(ctx, "releasing idempotency key failed", "key", rec.Key, "error", err)
	}
}

// recordID selects a record by its key; a map so GORM quotes the column
// "key", a keyword in SQL.
func recordID(rec *models.IdempotencyRecord) map[string]any {
	return map[string]any{"account_id": rec.AccountID, "key": rec.Key}
}

// replay answers a repeat: the stored answer, or 409 while the first runs.
func (s *server) replay(c echo.Context, rec *models.IdempotencyRecord) error {
	if !rec.Done {
		return typed(http.StatusConflict, typeIdemInFlight, "Request in progress",
			"a request with this Idempotency-Key is still being processed; retry later",
			validation.FieldError{Path: headerIdempotencyKey, Message: "in use by a request still in progress"})
	}
	c.Response().Header().Set(headerReplayed, "true")
	if len(rec.Body) == 0 {
		return c.NoContent(rec.Status)
	}
	mime := echo.MIMEApplicationJSON
	if rec.Status >= 400 {
		mime = mimeProblem
	}
	return c.Blob(rec.Status, mime, rec.Body)
}

// requestHash identifies a request by method, path, query and body. A JSON
// body is hashed in canonical form, so whitespace and key order do not
// make a retry look like a different request.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s?%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		if canon, err := json.Marshal(v); err == nil {
			body = canon
		}
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// teeWriter copies what the handler writes, to be stored.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// storeAnswer makes the idempotency record keep body instead of the answer sent.
func storeAnswer(c echo.Context, v any) {
	if b, err := json.Marshal(v); err == nil {
		c.Set(ctxStoredBody, b)
	}
}

package history

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Cursor is where a newest-first page stops: the time and id of its last
// entry. Pages continue strictly before it, so rows written meanwhile never
// shift a page, and equal times are ordered by id.
type Cursor struct {
	At time.Time
	ID string
}

// ErrBadCursor is a cursor this package did not make.
var ErrBadCursor = errors.New("not a cursor this API returned")

// Encode makes the cursor opaque to clients, so its content can change later.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.At.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

// DecodeCursor reads a cursor made by Encode.
func DecodeCursor(s string) (*Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return nil, ErrBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil, ErrBadCursor
	}
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return nil, ErrBadCursor
	}
	return &Cursor{At: t.UTC(), ID: id}, nil
}

// before is the keyset condition of a newest-first page on (col, id).
func before(col string, c *Cursor) (string, []any) {
	return "(" + col + " < ? OR (" + col + " = ? AND id < ?))", []any{c.At, c.At, c.ID}
}

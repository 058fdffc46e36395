package api

import (
	"encoding/base64"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"
)

const (
	defaultLimit = 50
	maxLimit     = 200
)

// page is where a list request starts and how much it takes. Ids are
// UUIDv7, so ordering by id is ordering by creation, and the last id seen is
// a stable cursor even while rows are added.
type page struct {
	limit int
	after string // id of the last row of the previous page
}

// List is the answer of every list endpoint. NextCursor is null on the last page.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// readPage reads ?limit= and ?cursor= of an endpoint that takes no other
// parameters; bad values answer 400 naming each.
func readPage(c echo.Context) (page, error) {
	q := readQuery(c)
	p := q.page()
	return p, q.err()
}

// page reads ?limit= and ?cursor=.
func (q *queryReader) page() page {
	p := page{limit: q.limit()}
	if s := q.raw("cursor"); s != "" {
		if id, ok := decodeCursor(s); ok {
			p.after = id
		} else {
			q.fault("cursor", "is not a cursor this API returned; pass next_cursor from the previous page")
		}
	}
	return p
}

// limit reads ?limit=, defaultLimit when absent or refused.
func (q *queryReader) limit() int {
	s := q.raw("limit")
	if s == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		q.fault("limit", "must be an integer from 1 to %d", maxLimit)
		return defaultLimit
	}
	return n
}

// apply restricts a query to the page, fetching one row more than the limit
// to learn whether another page follows.
func (p page) apply(q *gorm.DB) *gorm.DB {
	if p.after != "" {
		q = q.Where("id > ?", p.after)
	}
	return q.Order("id").Limit(p.limit + 1)
}

// cut trims the extra row apply fetched and returns the cursor of the next page.
func cut[M any](p page, rows []M, id func(*M) string) ([]M, *string) {
	if len(rows) <= p.limit {
		return rows, nil
	}
	rows = rows[:p.limit]
	next := encodeCursor(id(&rows[len(rows)-1]))
	return rows, &next
}

// listOf converts a page of rows into the list answer.
func listOf[M, T any](p page, rows []M, id func(*M) string, conv func(*M) T) List[T] {
	rows, next := cut(p, rows, id)
	items := make([]T, len(rows))
	for i := range rows {
		items[i] = conv(&rows[i])
	}
	return List[T]{Items: items, NextCursor: next}
}

// Cursors are opaque to clients so that their content can change later.
func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	if _, err := uuid.Parse(string(b)); err != nil || len(b) != 36 {
		return "", false
	}
	return string(b), true
}

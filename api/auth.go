package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/accounts"
	"github.com/crmflow/crmflow/models"
)

const ctxAccount = "crmflow.account"

// authenticate resolves the Bearer API key to its account. Every query a
// handler makes is then scoped to that account, which is how other
// accounts' resources come to answer 404.
func (s *server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := bearer(c.Request())
		if !ok {
			return unauthenticated("missing API key: send Authorization: Bearer <api key>")
		}
		acct, err := accounts.Authenticate(c.Request().Context(), s.db, key)
		if errors.Is(err, accounts.ErrInvalidKey) {
			return unauthenticated("invalid API key")
		}
		if err != nil {
			return err
		}
		c.Set(ctxAccount, acct)
		return next(c)
	}
}

// adminOnly guards the operator endpoints with CRMFLOW_ADMIN_KEY. Without
// an admin key they do not exist: they answer 404 like an unknown route.
func (s *server) adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.opts.AdminKey == "" {
			return echo.ErrNotFound
		}
		key, ok := bearer(c.Request())
		if !ok {
			return unauthenticated("missing admin key: send Authorization: Bearer $CRMFLOW_ADMIN_KEY")
		}
		// Compare hashes so the comparison takes the same time whatever the lengths.
		got, want := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(s.opts.AdminKey))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return unauthenticated("invalid admin key")
		}
		return next(c)
	}
}

// account is the account the request authenticated as.
func account(c echo.Context) *models.Account {
	a, _ := c.Get(ctxAccount).(*models.Account)
	return a
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get(echo.HeaderAuthorization)
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

func unauthenticated(detail string) *Problem {
	return typed(http.StatusUnauthorized, typeUnauthenticated, "Unauthorized", detail)
}

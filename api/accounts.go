package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/accounts"
)

type accountInput struct {
	Name *string `json:"name"`
}

// AccountAnswer is a new account with its API key, shown this once.
type AccountAnswer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	APIKey    *string   `json:"api_key"`
	CreatedAt time.Time `json:"created_at"`
}

// createAccount creates a tenant (POST /v1/accounts, admin key only).
func (s *server) createAccount(c echo.Context) error {
	var in accountInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return invalidAt("name", "is required")
	}
	acct, key, err := accounts.Create(c.Request().Context(), s.db, *in.Name)
	if err != nil {
		return err
	}
	out := AccountAnswer{ID: acct.ID, Name: acct.Name, APIKey: &key, CreatedAt: utc(acct.CreatedAt)}
	// Keys live only as hashes, so a repeat of this request (same
	// Idempotency-Key) returns the account with api_key null.
	redacted := out
	redacted.APIKey = nil
	storeAnswer(c, redacted)
	return c.JSON(http.StatusCreated, out)
}

// CurrentAccount is the account an API key belongs to: its id goes into
// provider webhook URLs (/v1/webhooks/twilio/<account_id>/sms).
type CurrentAccount struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Timezone  string    `json:"timezone"`
	CreatedAt time.Time `json:"created_at"`
}

// getAccount answers the caller's own account.
func (s *server) getAccount(c echo.Context) error {
	a := account(c)
	return c.JSON(http.StatusOK, CurrentAccount{ID: a.ID, Name: a.Name, Timezone: a.Timezone, CreatedAt: utc(a.CreatedAt)})
}

package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// ContactAnswer is a contact on the wire. Unset text fields are "" (what a
// PATCH sends to clear them); an unassigned contact has assigned_user_id null.
type ContactAnswer struct {
	ID               string         `json:"id"`
	FirstName        string         `json:"first_name"`
	LastName         string         `json:"last_name"`
	Email            string         `json:"email"`
	Phone            string         `json:"phone"`
	Timezone         string         `json:"timezone"`
	Tags             []string       `json:"tags"`
	Custom           map[string]any `json:"custom"`
	DND              DNDAnswer      `json:"dnd"`
	AssignedUserID   *string        `json:"assigned_user_id"`
	StripeCustomerID string         `json:"stripe_customer_id"`
	DateOfBirth      string         `json:"date_of_birth"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

// DNDAnswer is a contact's do-not-disturb flags.
type DNDAnswer struct {
	SMS   bool `json:"sms"`
	Email bool `json:"email"`
}

func contactAnswer(c *models.Contact) ContactAnswer {
	custom := c.Custom
	if custom == nil {
		custom = map[string]any{}
	}
	return ContactAnswer{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone, Timezone: c.Timezone,
		Tags: c.TagNames(), Custom: custom, DND: DNDAnswer{SMS: c.DNDSMS, Email: c.DNDEmail},
		AssignedUserID: c.AssignedUserID, StripeCustomerID: c.StripeCustomerID, DateOfBirth: c.DateOfBirth,
		CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt),
	}
}

func (s *server) createContact(c echo.Context) error {
	var in contacts.Input
	p := validation.NewProblems()
	if err := bindPruned(c, &in, p); err != nil {
		return err
	}
	if p.Errors() != nil { // with the faults of the rest, in one answer
		for _, e := range s.contacts.Check(in) {
			p.Add(e.Path, "%s", e.Message)
		}
		return invalid(p.Errors())
	}
	ct, err := s.contacts.Create(c.Request().Context(), account(c).ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, contactAnswer(ct))
}

func (s *server) getContact(c echo.Context) error {
	ct, err := s.contacts.Get(c.Request().Context(), account(c).ID, param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactAnswer(ct))
}

// updateContact applies a partial update: absent or null fields stay as
// they are, "" clears a text field, custom keys merge (null removes one),
// and tags, when given, become exactly the list given.
func (s *server) updateContact(c echo.Context) error {
	var in contacts.Input
	p := validation.NewProblems()
	if err := bindPruned(c, &in, p); err != nil {
		return err
	}
	if p.Errors() != nil { // with the faults of the rest, in one answer
		errs, err := s.contacts.CheckUpdate(c.Request().Context(), account(c).ID, param(c, "id"), in)
		if err != nil {
			return err
		}
		for _, e := range errs {
			p.Add(e.Path, "%s", e.Message)
		}
		return invalid(p.Errors())
	}
	ct, err := s.contacts.Update(c.Request().Context(), account(c).ID, param(c, "id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactAnswer(ct))
}

// deleteContact deletes a contact after ending its running enrollments, so
// no run goes on (or fails) for a contact that is gone.
func (s *server) deleteContact(c echo.Context) error {
	ctx, acct, id := c.Request().Context(), account(c).ID, param(c, "id")
	if _, err := s.contacts.Get(ctx, acct, id); err != nil {
		return err
	}
	if err := s.enrollments.ExitContact(ctx, acct, id, "the contact was deleted"); err != nil {
		return err
	}
	if err := s.contacts.Delete(ctx, acct, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type tagsInput struct {
	Tags *[]string `json:"tags"`
}

// addTags adds tags (firing contact_tag_added for each new one) and answers
// the contact.
func (s *server) addTags(c echo.Context) error {
	var in tagsInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Tags == nil || len(*in.Tags) == 0 {
		return invalidAt("tags", "is required: a list of at least one tag")
	}
	var errs validation.Errors
	for i, t := range *in.Tags {
		if msg := tagFault(t); msg != "" {
			errs = append(errs, validation.FieldError{Path: fmt.Sprintf("tags[%d]", i), Message: msg})
		}
	}
	if errs != nil {
		return invalid(errs)
	}
	ctx, acct, id := c.Request().Context(), account(c).ID, param(c, "id")
	if _, err := s.contacts.AddTags(ctx, acct, id, *in.Tags); err != nil {
		return err
	}
	return s.answerContact(c, acct, id)
}

// removeTag removes one tag (compared without case) and answers the
// contact; removing a tag the contact lacks changes nothing and succeeds.
func (s *server) removeTag(c echo.Context) error {
	ctx, acct, id := c.Request().Context(), account(c).ID, param(c, "id")
	if _, err := s.contacts.RemoveTags(ctx, acct, id, []string{param(c, "tag")}); err != nil {
		return err
	}
	return s.answerContact(c, acct, id)
}

func (s *server) answerContact(c echo.Context, accountID, id string) error {
	ct, err := s.contacts.Get(c.Request().Context(), accountID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactAnswer(ct))
}

// listContacts lists contacts, filtered by exact email, phone (any format;
// compared in E.164), tag (without case), and q: a case-insensitive
// substring of the name, email or phone.
func (s *server) listContacts(c echo.Context) error {
	qr := readQuery(c)
	p := qr.page()
	phone := ""
	if v := qr.text("phone"); v != "" {
		var err error
		if phone, err = contacts.NormalizePhone(v, s.region()); err != nil {
			qr.fault("phone", "%s", err.Error())
		}
	}
	if err := qr.err(); err != nil {
		return err
	}
	acct := account(c).ID
	q := s.db.WithContext(c.Request().Context()).Where("account_id = ?", acct)
	if v := strings.TrimSpace(c.QueryParam("email")); v != "" {
		q = q.Where("email = ?", strings.ToLower(v))
	}
	if phone != "" {
		q = q.Where("phone = ?", phone)
	}
	if v := strings.TrimSpace(c.QueryParam("tag")); v != "" {
		tagged := s.db.Model(&models.ContactTag{}).Select("contact_id").
			Where("account_id = ? AND tag_key = ?", acct, strings.ToLower(v))
		q = q.Where("id IN (?)", tagged)
	}
	if v := strings.TrimSpace(c.QueryParam("q")); v != "" {
		q = search(q, v)
	}
	var rows []models.Contact
	if err := p.apply(q).Preload("Tags").Find(&rows).Error; err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(p, rows, func(m *models.Contact) string { return m.ID }, contactAnswer))
}

var nonDigits = regexp.MustCompile(`\D`)

// search matches q as a substring of the full name, email or phone; the
// phone also matches on q's digits alone, so "(415) 555" finds +1415555....
func search(q *gorm.DB, text string) *gorm.DB {
	like := "%" + escapeLike(strings.ToLower(text)) + "%"
	cond := "LOWER(first_name || ' ' || last_name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR phone LIKE ? ESCAPE '\\'"
	args := []any{like, like, like}
	if digits := nonDigits.ReplaceAllString(text, ""); len(digits) >= 3 {
		cond += " OR phone LIKE ?"
		args = append(args, "%"+digits+"%")
	}
	return q.Where("("+cond+")", args...)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (s *server) region() string {
	if s.contacts != nil && s.contacts.DefaultRegion != "" {
		return s.contacts.DefaultRegion
	}
	return "US"
}

func tagFault(t string) string {
	switch {
	case strings.TrimSpace(t) == "":
		return "a tag cannot be empty"
	case len(t) > 255:
		return "a tag is at most 255 characters"
	}
	return ""
}

func blank(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }

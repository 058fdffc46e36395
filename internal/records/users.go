package records

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// UserInput is a user as the API receives it; nil fields are left alone, so
// the same type serves create and patch.
type UserInput struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// apply validates the input onto u, naming each fault by path.
func (in UserInput) apply(u *models.User, region string) *validation.Problems {
	p := validation.NewProblems()
	if in.Name != nil {
		u.Name = strings.TrimSpace(*in.Name)
	}
	if u.Name == "" {
		p.Add("name", "is required")
	} else if len(u.Name) > 200 {
		p.Add("name", "is at most 200 characters")
	}
	if in.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*in.Email))
		if e != "" {
			if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
				p.Add("email", "%q is not an email address", *in.Email)
			}
		}
		u.Email = e
	}
	if in.Phone != nil {
		ph, err := contacts.NormalizePhone(*in.Phone, region)
		if err != nil {
			p.Add("phone", "%s", err.Error())
		}
		u.Phone = ph
	}
	return p
}

// GetUser loads a user of the account.
func (s *Service) GetUser(ctx context.Context, accountID, id string) (*models.User, error) {
	var u models.User
	if err := first(s.DB.WithContext(ctx), "user", accountID, id, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser validates and stores a team member. Emails are unique within
// an account, so notifications and assignment by email are unambiguous.
func (s *Service) CreateUser(ctx context.Context, accountID string, in UserInput) (*models.User, error) {
	u := &models.User{ID: models.NewID(), AccountID: accountID}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p := in.apply(u, s.region())
		if err := uniqueEmail(tx, p, u); err != nil {
			return err
		}
		if errs := p.Errors(); errs != nil {
			return errs
		}
		if err := tx.Create(u).Error; err != nil {
			return fmt.Errorf("creating user: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, accountID, u.ID)
}

// UpdateUser applies a patch.
func (s *Service) UpdateUser(ctx context.Context, accountID, id string, in UserInput) (*models.User, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u models.User
		if err := first(forUpdate(tx), "user", accountID, id, &u); err != nil {
			return err
		}
		p := in.apply(&u, s.region())
		if err := uniqueEmail(tx, p, &u); err != nil {
			return err
		}
		if errs := p.Errors(); errs != nil {
			return errs
		}
		if err := tx.Save(&u).Error; err != nil {
			return fmt.Errorf("updating user %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, accountID, id)
}

// DeleteUser removes a user. Their notes stay, unsigned, and their tasks
// become unassigned (the foreign keys do it). A user that published
// workflows name (assign, notify, give tasks to) is refused with a
// *definitions.InUseError naming them; drafts do not count.
func (s *Service) DeleteUser(ctx context.Context, accountID, id string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u models.User
		if err := first(forUpdate(tx), "user", accountID, id, &u); err != nil {
			return err
		}
		if err := definitions.RefuseInUse(tx, accountID, fmt.Sprintf("the user %q", u.Name), "",
			definitions.Naming(steps.RefUser, id)); err != nil {
			return err
		}
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&models.User{})
		if res.Error != nil {
			return fmt.Errorf("deleting user %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return &NotFoundError{What: "user"}
		}
		return nil
	})
}

func uniqueEmail(tx *gorm.DB, p *validation.Problems, u *models.User) error {
	if u.Email == "" {
		return nil
	}
	var n int64
	err := tx.Model(&models.User{}).Where("account_id = ? AND email = ? AND id <> ?", u.AccountID, u.Email, u.ID).Count(&n).Error
	if err != nil {
		return fmt.Errorf("checking user email: %w", err)
	}
	if n > 0 {
		p.Add("email", "another user of this account has the email %s", u.Email)
	}
	return nil
}

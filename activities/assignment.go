package activities

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
)

// AssignUser assigns the contact to one of the listed users of the account
// (users deleted since the workflow was saved are passed over). The choice
// is remembered per call, so a retry assigns the same user and a round
// robin turn is taken once per (enrollment, step, visit), never per attempt.
func (a *Activities) AssignUser(ctx context.Context, call *steps.Call, userIDs []string, mode string) (string, string, error) {
	users, err := a.existingUsers(ctx, call.AccountID, userIDs)
	if err != nil {
		return "", "", err
	}
	if len(users) == 0 {
		return "", "", permanent("config.user_ids: none of %q is a user of this account", userIDs)
	}
	chosen, err := a.chooseUser(ctx, call, users, mode)
	if err != nil {
		return "", "", err
	}
	c, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return "", "", contactError(err)
	}
	previous := ""
	if c.AssignedUserID != nil {
		previous = *c.AssignedUserID
	}
	if previous != chosen {
		if _, err := a.opts.Contacts.Update(ctx, call.AccountID, call.ContactID, contacts.Input{AssignedUserID: &chosen}); err != nil {
			return "", "", contactError(err)
		}
	}
	return chosen, previous, nil
}

// existingUsers keeps the ids that are users of the account, in the
// listed order, each once.
func (a *Activities) existingUsers(ctx context.Context, accountID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []string
	if err := a.opts.DB.WithContext(ctx).Model(&models.User{}).Where("account_id = ? AND id IN ?", accountID, ids).
		Pluck("id", &found).Error; err != nil {
		return nil, fmt.Errorf("looking up users: %w", err)
	}
	exists := map[string]bool{}
	for _, id := range found {
		exists[id] = true
	}
	var out []string
	for _, id := range ids {
		if exists[id] {
			out = append(out, id)
			delete(exists, id)
		}
	}
	return out, nil
}

// chooseUser picks the user: the first, or the next in turn. In one
// transaction it reads the ledger (an earlier attempt's choice wins), takes
// a turn from the (workflow, step) counter and writes the choice, so
// concurrent enrollments each take their own turn and a retry takes none.
func (a *Activities) chooseUser(ctx context.Context, call *steps.Call, users []string, mode string) (string, error) {
	if mode == steps.AssignFirst {
		return users[0], nil
	}
	var chosen string
	err := a.opts.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var earlier models.StepEffect
		if err := tx.Where("idempotency_key = ? AND account_id = ?", call.IdempotencyKey, call.AccountID).Limit(1).Find(&earlier).Error; err != nil {
			return fmt.Errorf("reading the step ledger: %w", err)
		}
		if earlier.RecordID != "" {
			chosen = earlier.RecordID
			return nil
		}
		var turns int64
		err := tx.Raw(`INSERT INTO assignment_counters (workflow_id, step_id, account_id, turns, updated_at) VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (workflow_id, step_id) DO UPDATE SET turns = assignment_counters.turns + 1, updated_at = excluded.updated_at
			RETURNING turns`, call.WorkflowID, call.Step.ID, call.AccountID, time.Now().UTC()).Scan(&turns).Error
		if err != nil {
			return fmt.Errorf("taking a round-robin turn: %w", err)
		}
		chosen = users[(turns-1)%int64(len(users))]
		row := models.StepEffect{IdempotencyKey: call.IdempotencyKey, AccountID: call.AccountID, Kind: "user_assigned", RecordID: chosen}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("writing the step ledger: %w", err)
		}
		return nil
	})
	if duplicate(err) { // a concurrent attempt of this call chose first (its turn stands, ours rolled back)
		return a.effectOf(ctx, call, "user_assigned")
	}
	return chosen, err
}

// UnassignUser clears the contact's user; a contact with none is left alone.
func (a *Activities) UnassignUser(ctx context.Context, call *steps.Call) (string, error) {
	c, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return "", contactError(err)
	}
	if c.AssignedUserID == nil {
		return "", nil
	}
	none := ""
	if _, err := a.opts.Contacts.Update(ctx, call.AccountID, call.ContactID, contacts.Input{AssignedUserID: &none}); err != nil {
		return "", contactError(err)
	}
	return *c.AssignedUserID, nil
}

// SetDND sets the contact's do-not-disturb through the contacts service,
// which raises contact_dnd_changed for each flag that changes (so setting
// it again, as a retry does, raises nothing).
func (a *Activities) SetDND(ctx context.Context, call *steps.Call, channel string, value bool) ([]string, error) {
	before, err := a.opts.Contacts.Get(ctx, call.AccountID, call.ContactID)
	if err != nil {
		return nil, contactError(err)
	}
	var dnd contacts.DND
	if channel == "sms" || channel == "all" {
		dnd.SMS = &value
	}
	if channel == "email" || channel == "all" {
		dnd.Email = &value
	}
	after, err := a.opts.Contacts.Update(ctx, call.AccountID, call.ContactID, contacts.Input{DND: &dnd})
	if err != nil {
		return nil, contactError(err)
	}
	var changed []string
	if before.DNDSMS != after.DNDSMS {
		changed = append(changed, "sms")
	}
	if before.DNDEmail != after.DNDEmail {
		changed = append(changed, "email")
	}
	return changed, nil
}

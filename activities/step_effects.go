package activities

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/steps"
	"github.com/crmflow/crmflow/workflows/validation"
)

// recordNamespace scopes the ids record steps derive (UUIDv5-style, SHA-1).
var recordNamespace = uuid.MustParse("22aa6f66-689d-4336-ab35-fed68545fcbb")

// recordID is the id of the record (a note, a task...) a step creates: the
// same for every retry of one (enrollment, step, visit), so a retry that
// finds it knows the record is already made, and two attempts racing cannot
// both insert it (the primary key refuses the second).
func recordID(call *steps.Call, kind string) string {
	return uuid.NewSHA1(recordNamespace, []byte(call.AccountID+"\x00"+kind+"\x00"+call.IdempotencyKey)).String()
}

// effectOf returns the record an earlier attempt of this call chose, or "".
func (a *Activities) effectOf(ctx context.Context, call *steps.Call, kind string) (string, error) {
	var e models.StepEffect
	err := a.opts.DB.WithContext(ctx).Where("idempotency_key = ? AND account_id = ? AND kind = ?",
		call.IdempotencyKey, call.AccountID, kind).Limit(1).Find(&e).Error
	if err != nil {
		return "", fmt.Errorf("reading the step ledger: %w", err)
	}
	return e.RecordID, nil
}

// remember notes, before the change, which record this call chose. When an
// earlier (or concurrent) attempt chose already, its choice wins and is
// returned, so every attempt changes the same record.
func (a *Activities) remember(ctx context.Context, call *steps.Call, kind, recordID string) (string, error) {
	row := models.StepEffect{IdempotencyKey: call.IdempotencyKey, AccountID: call.AccountID, Kind: kind, RecordID: recordID}
	if err := a.opts.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return "", fmt.Errorf("writing the step ledger: %w", err)
	}
	chosen, err := a.effectOf(ctx, call, kind)
	if err != nil {
		return "", err
	}
	if chosen == "" {
		return "", fmt.Errorf("the step ledger holds another kind of change for %s", call.IdempotencyKey)
	}
	return chosen, nil
}

// recordError makes faults no retry can fix permanent: values the services
// refuse (renamed from the service's own input path to the step's config
// path, e.g. "value" to "config.value"), and records that are not there.
func recordError(err error, paths map[string]string) error {
	var verrs validation.Errors
	var conflict *records.ConflictError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &verrs):
		parts := make([]string, 0, len(verrs))
		for _, f := range verrs {
			path, ok := paths[f.Path]
			if !ok {
				path = f.Path
				for from, to := range paths { // prefixes: "custom" -> "config.fields.custom"
					if strings.HasPrefix(f.Path, from+".") {
						path = to + strings.TrimPrefix(f.Path, from)
					}
				}
			}
			parts = append(parts, path+": "+f.Message)
		}
		sort.Strings(parts)
		return &PermanentError{Err: fmt.Errorf("%s", strings.Join(parts, "; "))}
	case records.IsNotFound(err), errors.Is(err, contacts.ErrNotFound), errors.As(err, &conflict):
		return &PermanentError{Err: err}
	}
	return err
}

// duplicate reports an insert refused by a primary or unique key.
func duplicate(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

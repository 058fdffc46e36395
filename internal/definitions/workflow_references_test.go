package definitions

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

func TestPublishChecksWorkflowReferences(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	s := &Service{DB: db}
	acct, other := models.NewID(), models.NewID()
	for _, id := range []string{acct, other} {
		db.Create(&models.Account{ID: id, Name: id, Timezone: "UTC"})
	}
	save := func(accountID, steps string) *models.Workflow {
		t.Helper()
		wf, _, err := s.Create(ctx, accountID, []byte(`{"name": "w", "start": "a", "steps": [`+steps+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		return wf
	}
	draft := save(acct, `{"id": "a", "type": "end"}`) // never published: still a fine target
	theirs := save(other, `{"id": "a", "type": "end"}`)
	ref := func(typ, id string) string {
		return `{"id": "a", "type": "` + typ + `", "config": {"workflow_id": "` + id + `"}}`
	}
	for _, steps := range []string{
		ref("add_to_workflow", draft.ID),
		ref("add_to_workflow", "{{contact.custom.next_workflow}}"),
		ref("remove_from_workflow", draft.ID),
		`{"id": "a", "type": "remove_from_workflow"}`,
	} {
		wf := save(acct, steps)
		if _, err := s.Publish(ctx, acct, wf.ID); err != nil {
			t.Errorf("%s: %v", steps, err)
		}
	}
	// Removing the contact from the workflow itself, by its id, is fine.
	self := save(acct, `{"id": "a", "type": "end"}`)
	if _, _, err := s.Update(ctx, acct, self.ID, []byte(`{"name": "w", "start": "a", "steps": [`+ref("remove_from_workflow", self.ID)+`]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, acct, self.ID); err != nil {
		t.Errorf("remove from itself: %v", err)
	}

	refused := func(steps, want string) {
		t.Helper()
		wf, _, err := s.Create(ctx, acct, []byte(`{"name": "w", "start": "x", "steps": [
			{"id": "x", "type": "add_tag", "config": {"tags": ["t"]}, "next": "a"}, `+steps+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Publish(ctx, acct, wf.ID)
		var errs validation.Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "steps[1].config.workflow_id" || !strings.Contains(errs[0].Message, want) {
			t.Errorf("%s: %v, want a fault at steps[1].config.workflow_id mentioning %q", steps, err, want)
		}
	}
	refused(ref("add_to_workflow", "nope"), `workflow "nope" does not exist`)
	// Another account's workflow is no workflow here, word for word.
	refused(ref("add_to_workflow", theirs.ID), `workflow "`+theirs.ID+`" does not exist`)
	refused(ref("remove_from_workflow", theirs.ID), `workflow "`+theirs.ID+`" does not exist`)

	loop := save(acct, `{"id": "a", "type": "end"}`)
	if _, _, err := s.Update(ctx, acct, loop.ID, []byte(`{"name": "w", "start": "x", "steps": [
		{"id": "x", "type": "add_tag", "config": {"tags": ["t"]}, "next": "a"}, `+ref("add_to_workflow", loop.ID)+`]}`)); err != nil {
		t.Fatal(err)
	}
	var errs validation.Errors
	if _, err := s.Publish(ctx, acct, loop.ID); !errors.As(err, &errs) || errs[0].Path != "steps[1].config.workflow_id" ||
		!strings.Contains(errs[0].Message, "cannot add its contact to itself") {
		t.Errorf("add to itself: %v, want a fault at steps[1].config.workflow_id", err)
	}
}

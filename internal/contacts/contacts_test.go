package contacts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
)

// recorder is a Router that keeps the events it is given.
type recorder struct {
	mu     sync.Mutex
	events []*models.Event
}

func (r *recorder) Route(_ context.Context, ev *models.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

func setup(t *testing.T) (*Service, *recorder, string) {
	db := testdb.Open(t)
	acct := models.Account{ID: models.NewID(), Name: "A", Timezone: "UTC"}
	if err := db.Create(&acct).Error; err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	return &Service{DB: db, Router: r}, r, acct.ID
}

func ptr[T any](v T) *T { return &v }

func TestCreateNormalisesAndRaisesEvents(t *testing.T) {
	s, r, acct := setup(t)
	c, err := s.Create(context.Background(), acct, Input{FirstName: ptr(" Ada "), Email: ptr("ADA@Example.com"),
		Phone: ptr("(415) 555-0123"), Tags: &[]string{"lead", "Lead", "vip"}, Custom: map[string]any{"plan": "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "Ada" || c.Email != "ada@example.com" || c.Phone != "+14155550123" || c.Custom["plan"] != "gold" {
		t.Errorf("contact = %+v", c)
	}
	if got := strings.Join(c.TagNames(), ","); got != "lead,vip" {
		t.Errorf("tags = %s (duplicates compare without case)", got)
	}
	if got := strings.Join(r.types(), ","); got != "contact_created,contact_tag_added,contact_tag_added" {
		t.Errorf("events = %s", got)
	}
	var stored int64
	s.DB.Model(&models.Event{}).Count(&stored)
	if stored != 3 {
		t.Errorf("events stored = %d (the outbox keeps them for the sweeper)", stored)
	}
}

func TestBadInputNamesEachField(t *testing.T) {
	s, _, acct := setup(t)
	_, err := s.Create(context.Background(), acct, Input{Email: ptr("not-an-email"), Phone: ptr("12"),
		Timezone: ptr("Mars/Base"), DateOfBirth: ptr("1990-13-45"), Tags: &[]string{""}, Custom: map[string]any{"a.b": 1}})
	var errs validation.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Path] = true
	}
	for _, p := range []string{"email", "phone", "timezone", "date_of_birth", "tags[0]", "custom.a.b"} {
		if !got[p] {
			t.Errorf("no fault at %s: %v", p, errs)
		}
	}
	var n int64
	s.DB.Model(&models.Contact{}).Count(&n)
	if n != 0 {
		t.Errorf("a contact was saved despite the faults")
	}
	// "Local" loads in Go, but it is the machine's zone, not the contact's.
	_, err = s.Create(context.Background(), acct, Input{FirstName: ptr("Ada"), Timezone: ptr("Local")})
	if !errors.As(err, &errs) || errs[0].Path != "timezone" {
		t.Errorf("timezone Local: err = %v, want a fault at timezone", err)
	}
}

func TestTagsRaiseEventsOnlyForChanges(t *testing.T) {
	s, r, acct := setup(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, acct, Input{FirstName: ptr("Ada")})
	added, _ := s.AddTags(ctx, acct, c.ID, []string{"lead"})
	again, _ := s.AddTags(ctx, acct, c.ID, []string{"LEAD"})
	removed, _ := s.RemoveTags(ctx, acct, c.ID, []string{"Lead", "never-had"})
	if len(added) != 1 || len(again) != 0 || len(removed) != 1 {
		t.Errorf("added %v, again %v, removed %v", added, again, removed)
	}
	if got := strings.Join(r.types(), ","); got != "contact_created,contact_tag_added,contact_tag_removed" {
		t.Errorf("events = %s", got)
	}
	if _, err := s.AddTags(ctx, "other-account", c.ID, []string{"x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another account's contact: %v", err)
	}
}

func TestConcurrentSameTagRaisesOneEvent(t *testing.T) {
	s, r, acct := setup(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, acct, Input{FirstName: ptr("Ada")})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AddTags(ctx, acct, c.ID, []string{"lead"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, typ := range r.types() {
		if typ == "contact_tag_added" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("contact_tag_added raised %d times, want 1", n)
	}
}

func TestUpdateRaisesContactChangedWithWhatChanged(t *testing.T) {
	s, r, acct := setup(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, acct, Input{FirstName: ptr("Ada"), Custom: map[string]any{"plan": "silver", "old": 1}})
	if _, err := s.Update(ctx, acct, c.ID, Input{Email: ptr("ada@example.com"), Custom: map[string]any{"plan": "gold", "old": nil}}); err != nil {
		t.Fatal(err)
	}
	last := r.events[len(r.events)-1]
	if last.Type != "contact_changed" {
		t.Fatalf("last event = %s", last.Type)
	}
	changed, _ := last.Data["changed"].([]string)
	if strings.Join(changed, ",") != "custom.old,custom.plan,email" {
		t.Errorf("changed = %v", last.Data["changed"])
	}
}

package triggerlinks

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows/validation"
	"gorm.io/gorm"
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

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

type fixture struct {
	db      *gorm.DB
	s       *Service
	r       *recorder
	acct    string
	contact string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db := testdb.Open(t)
	f := &fixture{db: db, r: &recorder{}, acct: models.NewID(), contact: models.NewID()}
	if err := db.Create(&models.Account{ID: f.acct, Name: "A", Timezone: "UTC"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.Contact{ID: f.contact, AccountID: f.acct, FirstName: "Ada"}).Error; err != nil {
		t.Fatal(err)
	}
	f.s = &Service{DB: db, Keys: &installkeys.Store{DB: db}, Router: f.r}
	return f
}

func ptr(s string) *string { return &s }

func (f *fixture) link(t *testing.T, dest string) *models.TriggerLink {
	t.Helper()
	l, err := f.s.Create(context.Background(), f.acct, Input{Name: ptr("Offer"), DestinationURL: ptr(dest)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func codeOf(t *testing.T, url string) string {
	t.Helper()
	_, code, ok := strings.Cut(url, "/l/")
	if !ok {
		t.Fatalf("URL %q has no /l/ code", url)
	}
	return code
}

func TestForgedOrDamagedCodesAreNotFound(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	l := f.link(t, "https://example.com/offer")
	url, err := f.s.URL(ctx, "https://crm.example.com/", l.ID, f.contact)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "https://crm.example.com/l/") || len(codeOf(t, url)) != 66 {
		t.Fatalf("URL = %q", url)
	}
	code := codeOf(t, url)
	raw, _ := base64.RawURLEncoding.DecodeString(code)
	// Flipping any bit of any byte, ids or signature, must not be accepted.
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		if _, _, err := f.s.Click(ctx, base64.RawURLEncoding.EncodeToString(bad)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("code with byte %d flipped: err = %v, want ErrNotFound", i, err)
		}
	}
	// A code signed with another key (another installation) is refused too.
	other, _ := encode([]byte("another installation's key......"), l.ID, f.contact)
	for _, c := range []string{other, "", "abc", code + "A", code[:65], strings.Repeat("A", 66)} {
		if _, _, err := f.s.Click(ctx, c); !errors.Is(err, ErrNotFound) {
			t.Errorf("code %q: err = %v, want ErrNotFound", c, err)
		}
	}
	if f.r.count() != 0 {
		t.Errorf("%d events raised by bad codes", f.r.count())
	}
	dest, ev, err := f.s.Click(ctx, code)
	if err != nil || dest != "https://example.com/offer" || ev == nil {
		t.Fatalf("the genuine code: %q, %v, %v", dest, ev, err)
	}
	if ev.ContactID != f.contact || ev.Type != EventType || ev.Data["link_id"] != l.ID || ev.Data["url"] != dest {
		t.Errorf("event = %+v", ev)
	}
}

func TestTheKeySurvivesRestartsAndIsShared(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	l := f.link(t, "https://example.com/")
	url, _ := f.s.URL(ctx, "http://x", l.ID, f.contact)
	// Another process (a worker, or the server after a restart) has its
	// own cache but reads the same key.
	again := &Service{DB: f.db, Keys: &installkeys.Store{DB: f.db}}
	url2, _ := again.URL(ctx, "http://x", l.ID, f.contact)
	if url != url2 {
		t.Fatalf("URLs differ across processes: %s vs %s", url, url2)
	}
	if _, _, err := again.Click(ctx, codeOf(t, url)); err != nil {
		t.Fatal(err)
	}
}

func TestDoubleClicksRaiseOneEventAndLaterClicksAnother(t *testing.T) {
	f := setup(t)
	f.s.DedupWindow = 300 * time.Millisecond
	ctx := context.Background()
	l := f.link(t, "https://example.com/")
	url, _ := f.s.URL(ctx, "http://x", l.ID, f.contact)
	code := codeOf(t, url)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := f.s.Click(ctx, code); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.r.count(); n != 1 {
		t.Fatalf("10 clicks at once raised %d events, want 1", n)
	}
	time.Sleep(400 * time.Millisecond)
	if _, ev, _ := f.s.Click(ctx, code); ev == nil {
		t.Fatal("a click after the window raised nothing")
	}
	var click models.TriggerLinkClick
	f.db.Where("link_id = ? AND contact_id = ?", l.ID, f.contact).First(&click)
	var events int64
	f.db.Model(&models.Event{}).Where("type = ? AND contact_id = ?", EventType, f.contact).Count(&events)
	if click.Clicks != 11 || events != 2 || f.r.count() != 2 {
		t.Errorf("clicks = %d, events stored = %d, routed = %d; want 11, 2, 2", click.Clicks, events, f.r.count())
	}
}

func TestDeletedLinksAndContactsAnswerNotFound(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	l := f.link(t, "https://example.com/")
	url, _ := f.s.URL(ctx, "http://x", l.ID, f.contact)
	if err := f.s.Delete(ctx, "another-account", l.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting through another account: %v", err)
	}
	if err := f.s.Delete(ctx, f.acct, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Click(ctx, codeOf(t, url)); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted link: %v", err)
	}
	l2 := f.link(t, "https://example.com/")
	url, _ = f.s.URL(ctx, "http://x", l2.ID, f.contact)
	f.db.Delete(&models.Contact{}, "id = ?", f.contact)
	if _, _, err := f.s.Click(ctx, codeOf(t, url)); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted contact: %v", err)
	}
}

func TestLinkInputIsValidatedWithPaths(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for dest, ok := range map[string]bool{
		"https://example.com/a?b=c": true, "http://example.com": true, "ftp://example.com": false,
		"javascript:alert(1)": false, "/relative": false, "https://user:pw@example.com": false, "": false,
	} {
		_, err := f.s.Create(ctx, f.acct, Input{Name: ptr("x"), DestinationURL: ptr(dest)})
		var errs validation.Errors
		if ok != (err == nil) || (!ok && (!errors.As(err, &errs) || errs[0].Path != "destination_url")) {
			t.Errorf("destination %q: %v", dest, err)
		}
	}
	_, err := f.s.Create(ctx, f.acct, Input{DestinationURL: ptr("https://example.com")})
	var errs validation.Errors
	if !errors.As(err, &errs) || errs[0].Path != "name" {
		t.Errorf("no name: %v", err)
	}
}

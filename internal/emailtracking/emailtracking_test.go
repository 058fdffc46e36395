package emailtracking

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/internal/testdb"
	"github.com/crmflow/crmflow/models"
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

// of returns the routed events of a type, with the email event's "event".
func (r *recorder) of(typ string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		if ev.Type == typ {
			s, _ := ev.Data["event"].(string)
			if typ == "contact_dnd_changed" {
				s, _ = ev.Data["channel"].(string)
			}
			out = append(out, s)
		}
	}
	return out
}

type fixture struct {
	db      *gorm.DB
	s       *Service
	r       *recorder
	contact *models.Contact
	msg     *models.Message
}

const base = "https://crm.example.com"

func setup(t *testing.T) *fixture {
	t.Helper()
	db := testdb.Open(t)
	ctx := context.Background()
	f := &fixture{db: db, r: &recorder{}}
	acct := models.Account{ID: models.NewID(), Name: "A", Timezone: "UTC"}
	if err := db.Create(&acct).Error; err != nil {
		t.Fatal(err)
	}
	cs := &contacts.Service{DB: db, Router: f.r}
	email := "ada@example.com"
	c, err := cs.Create(ctx, acct.ID, contacts.Input{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	f.contact = c
	f.msg = &models.Message{ID: models.NewID(), AccountID: acct.ID, ContactID: c.ID, Channel: "email", To: email,
		Body: "<p>Hi</p>", Status: models.MessageSent}
	if err := db.Create(f.msg).Error; err != nil {
		t.Fatal(err)
	}
	f.s = &Service{DB: db, Keys: &installkeys.Store{DB: db}, Contacts: cs, Router: f.r}
	return f
}

func (f *fixture) prepare(t *testing.T, html, text string) Prepared {
	t.Helper()
	p, err := f.s.Prepare(context.Background(), base+"/", f.msg.ID, Email{HTML: html, Text: text, UnsubscribeMarker: "urn:unsub"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	clickURL = regexp.MustCompile(`https://crm\.example\.com/t/c/([A-Za-z0-9_-]+)`)
	pixelURL = regexp.MustCompile(`<img src="https://crm\.example\.com/t/o/([A-Za-z0-9_-]+)\.gif"[^>]*>`)
	unsubURL = regexp.MustCompile(`https://crm\.example\.com/t/u/([A-Za-z0-9_-]+)`)
)

func TestPrepareWrapsLinksAddsPixelAndUnsubscribe(t *testing.T) {
	f := setup(t)
	html := `<html><body><p>Hi <b>Ada</b>, see <a class="x" href="https://example.com/offer?a=1&amp;b=2">the offer</a>,` +
		` <A HREF='http://example.com/two'>two</A>, <a href="mailto:help@example.com">mail us</a>, <a href="#top">top</a>.</p>` +
		`<p><a href="urn:unsub">Unsubscribe</a></p></body></html>`
	p := f.prepare(t, html, "")
	links := clickURL.FindAllStringSubmatch(p.HTML, -1)
	if len(links) != 2 {
		t.Fatalf("%d wrapped links in %s", len(links), p.HTML)
	}
	ctx := context.Background()
	for i, want := range []string{"https://example.com/offer?a=1&b=2", "http://example.com/two"} {
		got, err := f.s.Click(ctx, links[i][1])
		if err != nil || got != want {
			t.Errorf("link %d opens %q, %v; want %q", i, got, err, want)
		}
	}
	for _, keep := range []string{`<a href="mailto:help@example.com">`, `<a href="#top">`, `<p>Hi <b>Ada</b>, see <a class="x" href="https://crm.example.com/t/c/`} {
		if !strings.Contains(p.HTML, keep) {
			t.Errorf("HTML lost %q: %s", keep, p.HTML)
		}
	}
	if !regexp.MustCompile(pixelURL.String() + `</body>`).MatchString(p.HTML) {
		t.Errorf("no open pixel before </body>: %s", p.HTML)
	}
	u := unsubURL.FindString(p.HTML)
	if u == "" || u != p.UnsubscribeURL || strings.Contains(p.HTML, "urn:unsub") {
		t.Errorf("unsubscribe URL %q not filled in: %s", p.UnsubscribeURL, p.HTML)
	}
	if p.Headers["List-Unsubscribe"] != "<"+p.UnsubscribeURL+">" || p.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Errorf("headers = %v", p.Headers)
	}
	// The derived text part reads like the mail, its links tracked too.
	if !strings.HasPrefix(p.Text, "Hi Ada, see the offer (https://crm.example.com/t/c/") ||
		!strings.Contains(p.Text, "mail us (mailto:help@example.com)") || !strings.Contains(p.Text, "Unsubscribe ("+p.UnsubscribeURL+")") {
		t.Errorf("text = %q", p.Text)
	}
	// Preparing again (a retried send) gives the very same message.
	if again := f.prepare(t, html, ""); again.HTML != p.HTML || again.Text != p.Text {
		t.Error("Prepare is not deterministic")
	}
	// A text part that was written is kept, with its unsubscribe URL filled in.
	if q := f.prepare(t, html, "Bye: urn:unsub"); q.Text != "Bye: "+p.UnsubscribeURL {
		t.Errorf("text = %q", q.Text)
	}
}

func TestPlainText(t *testing.T) {
	for _, c := range []struct{ html, want string }{
		{`<p>One</p><p>Two<br>three</p>`, "One\n\nTwo\nthree"},
		{`<head><title>T</title><style>p{}</style></head><h1>Title</h1><ul><li>a</li><li>b &amp; c</li></ul>`, "Title\n\n- a\n- b & c"},
		{`<div>  lots   of
		space </div>`, "lots of space"},
		{`<a href="https://x.test/">https://x.test/</a> and <a href="https://y.test/"><img src="y.png"></a>`, "https://x.test/ and https://y.test/"},
	} {
		if got := PlainText(c.html); got != c.want {
			t.Errorf("PlainText(%q) = %q, want %q", c.html, got, c.want)
		}
	}
}

func TestOpenIsRaisedOnceAndClicksAreDeduplicated(t *testing.T) {
	f := setup(t)
	f.s.DedupWindow = 300 * time.Millisecond
	ctx := context.Background()
	p := f.prepare(t, `<a href="https://example.com/a">a</a>`, "")
	open := pixelURL.FindStringSubmatch(p.HTML)[1]
	click := clickURL.FindStringSubmatch(p.HTML)[1]
	for i := 0; i < 3; i++ {
		if err := f.s.Open(ctx, open); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.r.of(EventType); len(got) != 1 || got[0] != "opened" {
		t.Fatalf("three opens raised %v, want one opened", got)
	}
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ { // a double click and a scanner, at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.s.Click(ctx, click); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := f.r.of(EventType); len(got) != 2 || got[1] != "clicked" {
		t.Fatalf("after 5 clicks at once: %v, want opened, clicked", got)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := f.s.Click(ctx, click); err != nil {
		t.Fatal(err)
	}
	if got := f.r.of(EventType); len(got) != 3 {
		t.Fatalf("a click after the window: %v", got)
	}
	var rows []models.EmailInteraction
	f.db.Order("kind").Find(&rows)
	if len(rows) != 2 || rows[0].Kind != "clicked" || rows[0].Hits != 6 || rows[0].URL != "https://example.com/a" ||
		rows[1].Kind != "opened" || rows[1].Hits != 3 {
		t.Errorf("interactions = %+v", rows)
	}
	f.r.mu.Lock()
	ev := f.r.events[len(f.r.events)-1]
	f.r.mu.Unlock()
	if ev.ContactID != f.contact.ID || ev.Data["message_id"] != f.msg.ID || ev.Data["url"] != "https://example.com/a" {
		t.Errorf("clicked event = %+v", ev)
	}
	var stored int64
	f.db.Model(&models.Event{}).Where("type = ? AND contact_id = ?", EventType, f.contact.ID).Count(&stored)
	if stored != 3 {
		t.Errorf("%d email events in the outbox, want 3", stored)
	}
}

func TestClickBeforeAnyOpenCountsAsOpened(t *testing.T) {
	f := setup(t)
	p := f.prepare(t, `<a href="https://example.com/a">a</a>`, "")
	if _, err := f.s.Click(context.Background(), clickURL.FindStringSubmatch(p.HTML)[1]); err != nil {
		t.Fatal(err)
	}
	if got := f.r.of(EventType); strings.Join(got, ",") != "opened,clicked" {
		t.Errorf("events = %v", got)
	}
}

func TestUnsubscribeSetsEmailDNDOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.prepare(t, `<a href="urn:unsub">stop</a>`, "")
	code := strings.TrimPrefix(p.UnsubscribeURL, base+UnsubscribePath)
	for i := 0; i < 2; i++ {
		if err := f.s.Unsubscribe(ctx, code); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := f.s.Contacts.Get(ctx, f.contact.AccountID, f.contact.ID)
	if !c.DNDEmail || c.DNDSMS {
		t.Errorf("dnd = email %v, sms %v", c.DNDEmail, c.DNDSMS)
	}
	if got := f.r.of(EventType); len(got) != 1 || got[0] != "unsubscribed" {
		t.Errorf("email events = %v", got)
	}
	if got := f.r.of("contact_dnd_changed"); len(got) != 1 || got[0] != "email" {
		t.Errorf("dnd events = %v", got)
	}
}

func TestForgedCodesAreNotFound(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.prepare(t, `<a href="https://example.com/a">a</a>`, "")
	open := pixelURL.FindStringSubmatch(p.HTML)[1]
	click := clickURL.FindStringSubmatch(p.HTML)[1]
	raw, _ := base64.RawURLEncoding.DecodeString(click)
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		if _, err := f.s.Click(ctx, base64.RawURLEncoding.EncodeToString(bad)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("click code with byte %d flipped: %v, want ErrNotFound", i, err)
		}
	}
	// Another destination signed with another key: no open redirect.
	other, _ := encode([]byte("another installation's key......"), kindClick, f.msg.ID, "https://evil.example/")
	for _, c := range []string{other, "", "abc", open} { // an open code is no click code
		if _, err := f.s.Click(ctx, c); !errors.Is(err, ErrNotFound) {
			t.Errorf("click %q: %v, want ErrNotFound", c, err)
		}
	}
	if err := f.s.Unsubscribe(ctx, open); !errors.Is(err, ErrNotFound) {
		t.Errorf("unsubscribe with an open code: %v", err)
	}
	if got := f.r.of(EventType); len(got) != 0 {
		t.Errorf("bad codes raised %v", got)
	}
	// The contact deleted: the genuine code answers the same.
	if err := f.s.Contacts.Delete(ctx, f.contact.AccountID, f.contact.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Open(ctx, open); !errors.Is(err, ErrNotFound) {
		t.Errorf("open after the contact was deleted: %v", err)
	}
}

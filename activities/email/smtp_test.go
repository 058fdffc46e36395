package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// envelope is one message as the test server received it.
type envelope struct {
	From     string
	To       []string
	Data     []byte
	AuthUser string // who authenticated, "" if nobody
	TLS      bool   // whether the connection was encrypted
}

// backend is an in-process SMTP server's storage and behaviour.
type backend struct {
	user, pass string          // when set, MAIL requires AUTH PLAIN with these
	rcptErr    *smtp.SMTPError // when set, every RCPT is refused with it
	hold       chan struct{}   // when set, DATA waits for it to close
	mu         sync.Mutex
	sessions   int
	got        []envelope
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, cur: envelope{TLS: isTLS}}, nil
}

func (b *backend) envelopes() []envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]envelope(nil), b.got...)
}

func (b *backend) sessionCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions
}

type session struct {
	b    *backend
	cur  envelope
	user string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From, s.cur.AuthUser = from, s.user
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		return s.b.rcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.hold != nil {
		<-s.b.hold
	}
	s.cur.Data = data
	s.b.mu.Lock()
	s.b.got = append(s.b.got, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = envelope{TLS: s.cur.TLS} }
func (s *session) Logout() error { return nil }

// serverTLS selects how the test server offers TLS.
type serverTLS int

const (
	plainOnly   serverTLS = iota // no TLS at all
	startTLS                     // STARTTLS on a plain connection
	implicitTLS                  // TLS from the first byte (smtps)
)

// startServer runs b on 127.0.0.1 and returns its host:port.
func startServer(t *testing.T, b *backend, mode serverTLS) string {
	t.Helper()
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // PLAIN over plain loopback, as in local development
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case startTLS:
		srv.TLSConfig = selfSigned(t)
	case implicitTLS:
		l = tls.NewListener(l, selfSigned(t))
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		if b.hold != nil {
			close(b.hold)
		}
		_ = srv.Close()
	})
	return l.Addr().String()
}

// selfSigned makes a certificate for 127.0.0.1 that no client trusts.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func newTestSMTP(t *testing.T, opts SMTPOptions) *SMTP {
	t.Helper()
	s, err := NewSMTP(opts)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

var welcome = Message{
	FromName:  "Ada at Acme",
	FromEmail: "ada@acme.example",
	To:        "Bob Jones <bob@example.com>",
	Subject:   "Welcome, Bob — ✓",
	HTML:      "<p>Hello <b>Bob</b>, welcome aboard.</p>",
	Text:      "Hello Bob, welcome aboard.",
	Headers:   map[string]string{"X-Crmflow-Enrollment": "enr_123", "List-Unsubscribe": "<https://acme.example/u/1>"},
}

func TestSMTPSendMultipart(t *testing.T) {
	b := &backend{}
	addr := startServer(t, b, plainOnly)
	s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + addr})

	res, err := s.Send(context.Background(), welcome)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.HasPrefix(res.MessageID, "<") || !strings.HasSuffix(res.MessageID, "@acme.example>") {
		t.Errorf("MessageID = %q, want <...@acme.example>", res.MessageID)
	}

	got := b.envelopes()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	env := got[0]
	if env.From != "ada@acme.example" || len(env.To) != 1 || env.To[0] != "bob@example.com" {
		t.Errorf("envelope = MAIL FROM %q, RCPT TO %q", env.From, env.To)
	}
	if env.AuthUser != "" {
		t.Errorf("authenticated as %q without credentials in the URL", env.AuthUser)
	}

	msg := readMessage(t, env.Data)
	checkAddress(t, msg.Header.Get("From"), "Ada at Acme", "ada@acme.example")
	checkAddress(t, msg.Header.Get("To"), "Bob Jones", "bob@example.com")
	if subj := decodeHeader(t, msg.Header.Get("Subject")); subj != welcome.Subject {
		t.Errorf("Subject = %q, want %q", subj, welcome.Subject)
	}
	if id := msg.Header.Get("Message-Id"); id != res.MessageID {
		t.Errorf("Message-ID header %q, result %q", id, res.MessageID)
	}
	if d, err := msg.Header.Date(); err != nil || time.Since(d) > time.Hour {
		t.Errorf("Date = %v (%v)", d, err)
	}
	if v := msg.Header.Get("X-Crmflow-Enrollment"); v != "enr_123" {
		t.Errorf("X-Crmflow-Enrollment = %q", v)
	}
	if v := msg.Header.Get("List-Unsubscribe"); v != "<https://acme.example/u/1>" {
		t.Errorf("List-Unsubscribe = %q", v)
	}

	parts := readParts(t, msg, "multipart/alternative")
	if parts["text/plain"] != welcome.Text || parts["text/html"] != welcome.HTML {
		t.Errorf("parts = %q, want the text and the HTML", parts)
	}
}

func TestSMTPSinglePartAndDefaults(t *testing.T) {
	b := &backend{}
	addr := startServer(t, b, plainOnly)
	s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + addr + "/", From: "Acme CRM <noreply@acme.example>"})

	htmlOnly := Message{To: "bob@example.com", Subject: "HTML", HTML: "<p>hi</p>"}
	textOnly := Message{FromName: "Ada", To: "bob@example.com", Subject: "Text", Text: "hi",
		Headers: map[string]string{"Message-ID": "<enr_123.s4.1@acme.example>"}}
	for _, m := range []Message{htmlOnly, textOnly} {
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("Send %q: %v", m.Subject, err)
		}
	}
	got := b.envelopes()

	msg := readMessage(t, got[0].Data)
	checkAddress(t, msg.Header.Get("From"), "Acme CRM", "noreply@acme.example") // the default sender
	if body := readParts(t, msg, "text/html")["text/html"]; body != "<p>hi</p>" {
		t.Errorf("HTML-only body = %q", body)
	}

	msg = readMessage(t, got[1].Data)
	checkAddress(t, msg.Header.Get("From"), "Ada", "noreply@acme.example") // the name replaced, the address kept
	if body := readParts(t, msg, "text/plain")["text/plain"]; body != "hi" {
		t.Errorf("text-only body = %q", body)
	}
	if id := msg.Header.Get("Message-Id"); id != "<enr_123.s4.1@acme.example>" {
		t.Errorf("Message-ID = %q, want the one given", id)
	}
}

func TestSMTPRecipientRefused(t *testing.T) {
	tests := []struct {
		name      string
		reply     *smtp.SMTPError
		retryable bool
	}{
		{"permanent", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}, false},
		{"temporary", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &backend{rcptErr: tc.reply}
			s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + startServer(t, b, plainOnly)})
			_, err := s.Send(context.Background(), welcome)
			t.Logf("err: %v", err)
			e := asError(t, err)
			if e.Code != tc.reply.Code || e.Retryable != tc.retryable {
				t.Errorf("error = %+v, want code %d, retryable %v", e, tc.reply.Code, tc.retryable)
			}
			if !strings.Contains(e.Message, tc.reply.Message) {
				t.Errorf("message %q lacks the server's reply %q", e.Message, tc.reply.Message)
			}
			if !strings.HasPrefix(err.Error(), "sending email via SMTP: ") {
				t.Errorf("err = %q, want it to say what was being done", err)
			}
			if n := len(b.envelopes()); n != 0 {
				t.Errorf("server stored %d messages", n)
			}
		})
	}
}

func TestSMTPAuth(t *testing.T) {
	const user, pass = "ada@acme.example", "p@ss:w/rd %1"
	b := &backend{user: user, pass: pass}
	addr := startServer(t, b, plainOnly)

	t.Run("credentials", func(t *testing.T) {
		// Userinfo is percent-encoded in the URL.
		u := fmt.Sprintf("smtp://%s:%s@%s", "ada%40acme.example", "p%40ss%3Aw%2Frd%20%251", addr)
		if _, err := newTestSMTP(t, SMTPOptions{URL: u}).Send(context.Background(), welcome); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := b.envelopes()
		if len(got) != 1 || got[0].AuthUser != user {
			t.Fatalf("server saw %+v, want one message authenticated as %q", got, user)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		u := fmt.Sprintf("smtp://%s:%s@%s", "ada%40acme.example", "nope", addr)
		_, err := newTestSMTP(t, SMTPOptions{URL: u}).Send(context.Background(), welcome)
		t.Logf("err: %v", err)
		if e := asError(t, err); e.Code != 535 || e.Retryable {
			t.Errorf("error = %+v, want 535, not retryable", e)
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		_, err := newTestSMTP(t, SMTPOptions{URL: "smtp://" + addr}).Send(context.Background(), welcome)
		t.Logf("err: %v", err)
		want := smtp.ErrAuthRequired.Code // go-smtp answers 502 5.7.0
		if e := asError(t, err); e.Code != want || e.Retryable {
			t.Errorf("error = %+v, want %d (authenticate first), not retryable", e, want)
		}
		if got := b.envelopes(); len(got) != 1 {
			t.Errorf("server stored %d messages, want only the earlier one", len(got))
		}
	})
}

func TestSMTPTLS(t *testing.T) {
	t.Run("opportunistic STARTTLS", func(t *testing.T) {
		b := &backend{user: "ada", pass: "secret"}
		s := newTestSMTP(t, SMTPOptions{URL: "smtp://ada:secret@" + startServer(t, b, startTLS), InsecureSkipVerify: true})
		if _, err := s.Send(context.Background(), welcome); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := b.envelopes(); len(got) != 1 || !got[0].TLS || got[0].AuthUser != "ada" {
			t.Errorf("server saw %+v, want one message over TLS, authenticated", got)
		}
	})

	t.Run("implicit TLS", func(t *testing.T) {
		b := &backend{}
		s := newTestSMTP(t, SMTPOptions{URL: "smtps://" + startServer(t, b, implicitTLS), InsecureSkipVerify: true})
		if _, err := s.Send(context.Background(), welcome); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := b.envelopes(); len(got) != 1 || !got[0].TLS {
			t.Errorf("server saw %+v, want one message over TLS", got)
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + startServer(t, &backend{}, startTLS)})
		_, err := s.Send(context.Background(), welcome)
		t.Logf("err: %v", err)
		if e := asError(t, err); e.Retryable {
			t.Errorf("error = %+v, want a certificate error that is not retryable", e)
		}
	})

	t.Run("mandatory STARTTLS without server support", func(t *testing.T) {
		b := &backend{}
		s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + startServer(t, b, plainOnly) + "?starttls=mandatory"})
		_, err := s.Send(context.Background(), welcome)
		t.Logf("err: %v", err)
		if err == nil {
			t.Fatal("sent in clear although STARTTLS was mandatory")
		}
		if n := len(b.envelopes()); n != 0 {
			t.Errorf("server stored %d messages", n)
		}
	})
}

func TestSMTPConnectionErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close() // nothing listens there any more
		_, err = newTestSMTP(t, SMTPOptions{URL: "smtp://" + addr}).Send(context.Background(), welcome)
		t.Logf("err: %v", err)
		if e := asError(t, err); !e.Retryable || e.Code != 0 {
			t.Errorf("error = %+v, want retryable without a reply code", e)
		}
	})

	t.Run("context deadline during DATA", func(t *testing.T) {
		b := &backend{hold: make(chan struct{})}
		s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + startServer(t, b, plainOnly)})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Send(ctx, welcome)
		t.Logf("err after %v: %v", time.Since(start), err)
		if !errors.Is(err, context.DeadlineExceeded) || !asError(t, err).Retryable {
			t.Errorf("err = %v, want a retryable deadline error", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Send took %v: the context did not reach the connection", d)
		}
	})
}

func TestSMTPRejectsBadMessages(t *testing.T) {
	b := &backend{}
	s := newTestSMTP(t, SMTPOptions{URL: "smtp://" + startServer(t, b, plainOnly)})
	bad := map[string]Message{
		"no sender":        {To: "bob@example.com", Text: "hi"},
		"bad sender":       {FromEmail: "not an address", To: "bob@example.com", Text: "hi"},
		"no recipient":     {FromEmail: "ada@acme.example", Text: "hi"},
		"bad recipient":    {FromEmail: "ada@acme.example", To: "bob at example", Text: "hi"},
		"reserved header":  {FromEmail: "ada@acme.example", To: "bob@example.com", Headers: map[string]string{"bcc": "eve@example.com"}},
		"header injection": {FromEmail: "ada@acme.example", To: "bob@example.com", Headers: map[string]string{"X-A": "1\r\nBcc: eve@example.com"}},
		"bad header name":  {FromEmail: "ada@acme.example", To: "bob@example.com", Headers: map[string]string{"X A": "1"}},
	}
	for name, m := range bad {
		_, err := s.Send(context.Background(), m)
		if e := asError(t, err); e.Retryable {
			t.Errorf("%s: error %v is retryable", name, e)
		}
	}
	if n := b.sessionCount(); n != 0 {
		t.Errorf("server saw %d connections for invalid messages", n)
	}
}

func TestNewSMTPValidates(t *testing.T) {
	for _, u := range []string{
		"",
		"127.0.0.1:25",
		"http://127.0.0.1:25",
		"smtp://",
		"smtp://127.0.0.1:0",
		"smtp://127.0.0.1:99999",
		"smtp://127.0.0.1/path",
		"smtp://127.0.0.1?starttls=sometimes",
		"smtp://127.0.0.1?tls=1",
		"smtps://127.0.0.1?starttls=none",
	} {
		if _, err := NewSMTP(SMTPOptions{URL: u}); err == nil {
			t.Errorf("NewSMTP accepted %q", u)
		}
	}
	if _, err := NewSMTP(SMTPOptions{URL: "smtp://127.0.0.1", From: "not an address"}); err == nil {
		t.Errorf("NewSMTP accepted a bad default sender")
	}
	_, err := NewSMTP(SMTPOptions{URL: "smtp://user:hunter2@127.0.0.1:bad"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want an error that does not repeat the password", err)
	}

	s, err := NewSMTP(SMTPOptions{URL: "smtps://[::1]"})
	if err != nil || s.addr != "[::1]:465" || !s.implicitTLS {
		t.Errorf("smtps://[::1] = %+v, %v; want [::1]:465 with implicit TLS", s, err)
	}
	s, err = NewSMTP(SMTPOptions{URL: "smtp://mail.example.com"})
	if err != nil || s.addr != "mail.example.com:587" {
		t.Errorf("smtp://mail.example.com = %+v, %v; want port 587", s, err)
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *email.Error", err, err)
	}
	return e
}

func readMessage(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reading the received message: %v\n%s", err, data)
	}
	return msg
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decoding header %q: %v", v, err)
	}
	return s
}

func checkAddress(t *testing.T, header, name, addr string) {
	t.Helper()
	a, err := mail.ParseAddress(header)
	if err != nil || a.Name != name || a.Address != addr {
		t.Errorf("address header %q = %v (%v), want %q <%s>", header, a, err, name, addr)
	}
}

// readParts returns the body of msg by media type, after checking the
// top-level type: the parts of a multipart, or the single body.
func readParts(t *testing.T, msg *mail.Message, wantType string) map[string]string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != wantType {
		t.Fatalf("Content-Type = %q (%v), want %s", msg.Header.Get("Content-Type"), err, wantType)
	}
	parts := map[string]string{}
	if !strings.HasPrefix(mediaType, "multipart/") {
		parts[mediaType] = strings.TrimRight(decodeBody(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body), "\r\n")
		return parts
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("reading parts: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		// multipart.Part already undoes quoted-printable.
		parts[pt] = strings.TrimRight(decodeBody(t, p.Header.Get("Content-Transfer-Encoding"), p), "\r\n")
	}
}

func decodeBody(t *testing.T, cte string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SMTPOptions configures the SMTP sender (SMTP_URL, SMTP_FROM).
type SMTPOptions struct {
	// URL is smtp://[user:pass@]host[:port] (STARTTLS when the server offers
	// it, port 587 by default) or smtps://... (TLS from the first byte, port
	// 465 by default). ?starttls=opportunistic|mandatory|none changes the
	// STARTTLS policy of smtp://. Credentials are percent-encoded; without a
	// user no AUTH is attempted.
	URL string
	// From is the default sender, "addr" or "Name <addr>"; messages without a
	// FromEmail use it.
	From string
	// InsecureSkipVerify accepts any server certificate (self-signed test
	// servers). Never for production.
	InsecureSkipVerify bool
}

// SMTP sends messages over SMTP with go-mail, one connection per message.
// It holds no mutable state, so one value serves concurrent sends.
type SMTP struct {
	host        string // for TLS verification and the AUTH host check
	addr        string // host:port to dial
	implicitTLS bool
	policy      gomail.TLSPolicy
	tlsConfig   *tls.Config
	user, pass  string
	from        *mail.Address // nil: every message must name its sender
}

var _ Sender = (*SMTP)(nil)

// NewSMTP checks opts and returns a sender. It does not connect.
func NewSMTP(opts SMTPOptions) (*SMTP, error) {
	s, err := parseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("configuring SMTP: %w", err)
	}
	if opts.From != "" {
		if s.from, err = mail.ParseAddress(opts.From); err != nil {
			return nil, fmt.Errorf("configuring SMTP: default sender %q: %w", opts.From, err)
		}
	}
	s.tlsConfig = &tls.Config{
		ServerName:         s.host,
		InsecureSkipVerify: opts.InsecureSkipVerify, //nolint:gosec // opt-in, for test servers
		MinVersion:         tls.VersionTLS12,
	}
	return s, nil
}

func parseURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole URL, password included: don't repeat it.
		return nil, errors.New("SMTP URL is not a valid URL")
	}
	s := &SMTP{policy: gomail.TLSOpportunistic}
	port := 587
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS, port = true, 465
	default:
		return nil, fmt.Errorf("SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if s.host = u.Hostname(); s.host == "" {
		return nil, errors.New("SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("SMTP URL port %q is not a port number", p)
		}
	}
	s.addr = net.JoinHostPort(s.host, strconv.Itoa(port))
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return nil, errors.New("SMTP URL has a path; want smtp://user:pass@host:port")
	}
	for key, vals := range u.Query() {
		if key != "starttls" || s.implicitTLS {
			return nil, fmt.Errorf("SMTP URL parameter %q is not supported", key)
		}
		switch strings.ToLower(vals[len(vals)-1]) {
		case "", "opportunistic", "auto":
			s.policy = gomail.TLSOpportunistic
		case "mandatory", "required", "always", "true", "1":
			s.policy = gomail.TLSMandatory
		case "none", "never", "false", "0", "off":
			s.policy = gomail.NoTLS
		default:
			return nil, fmt.Errorf("SMTP URL starttls=%q: want opportunistic, mandatory or none", vals[len(vals)-1])
		}
	}
	if u.User != nil && u.User.Username() != "" {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// Send delivers m to the server and returns its Message-ID. All errors are
// *Error (wrapped); see Error.Retryable.
func (s *SMTP) Send(ctx context.Context, m Message) (Result, error) {
	msg, id, err := s.build(m)
	if err != nil {
		return Result{}, fmt.Errorf("sending email via SMTP: %w", err)
	}

	// A client per message: go-mail's Client keeps per-connection state (and
	// rewrites its AUTH choice while dialing), so sharing one across
	// concurrent sends would race.
	var stop func() bool
	c, err := gomail.NewClient(s.host, s.clientOptions(ctx, &stop)...)
	if err != nil {
		return Result{}, fmt.Errorf("sending email via SMTP: %w", &Error{Message: "setting up the client: " + err.Error(), Err: err})
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if stop != nil {
		stop()
	}
	if err != nil {
		return Result{}, fmt.Errorf("sending email via SMTP: %w", classify(ctx, err))
	}
	return Result{MessageID: id}, nil
}

func (s *SMTP) clientOptions(ctx context.Context, stop *func() bool) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithTLSPolicy(s.policy),
		gomail.WithTLSConfig(s.tlsConfig.Clone()),
		gomail.WithDialContextFunc(s.dialer(ctx, stop)),
	}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL()) // so go-mail does not try STARTTLS inside TLS
	}
	if s.user != "" {
		// PLAIN or LOGIN, whichever the server offers (else go-mail picks a
		// challenge-response mechanism). Both refuse to send the password in
		// clear to anything but localhost.
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	return opts
}

// dialer connects to s.addr (go-mail's own "host:port" breaks on IPv6
// literals) and ties the connection to ctx: go-mail uses the context only
// while dialing, so without this a cancelled activity would keep talking to
// the server until go-mail's own timeouts.
func (s *SMTP) dialer(ctx context.Context, stop *func() bool) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(dialCtx, network, s.addr)
		if err != nil {
			return nil, err
		}
		// Interrupt whatever read or write is pending when ctx ends.
		*stop = context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
		var conn net.Conn = &ctxConn{Conn: raw, ctx: ctx}
		if s.implicitTLS {
			tc := tls.Client(conn, s.tlsConfig.Clone())
			if err := tc.HandshakeContext(dialCtx); err != nil {
				_ = raw.Close()
				return nil, err
			}
			conn = tc // a *tls.Conn, which is how go-mail knows the link is encrypted
		}
		return conn, nil
	}
}

// ctxConn keeps go-mail from pushing a deadline past the end of ctx.
type ctxConn struct {
	net.Conn
	ctx context.Context
}

func (c *ctxConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *ctxConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *ctxConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

func (c *ctxConn) clamp(t time.Time) time.Time {
	if c.ctx.Err() != nil {
		return time.Unix(1, 0)
	}
	if dl, ok := c.ctx.Deadline(); ok && (t.IsZero() || dl.Before(t)) {
		return dl
	}
	return t
}

// build turns m into a go-mail message and returns its Message-ID.
func (s *SMTP) build(m Message) (*gomail.Msg, string, error) {
	from := s.from
	switch {
	case m.FromEmail != "":
		from = &mail.Address{Name: m.FromName, Address: m.FromEmail}
	case from != nil && m.FromName != "":
		from = &mail.Address{Name: m.FromName, Address: from.Address}
	case from == nil:
		return nil, "", &Error{Message: "no sender: the message has no from_email and no default sender is configured"}
	}
	if _, err := mail.ParseAddress(from.String()); err != nil {
		return nil, "", &Error{Message: fmt.Sprintf("sender %q: %v", from.Address, err), Err: err}
	}
	if strings.TrimSpace(m.To) == "" {
		return nil, "", &Error{Message: "message has no recipient"}
	}

	msg := gomail.NewMsg()
	msg.FromMailAddress(from)
	if err := msg.To(m.To); err != nil {
		return nil, "", &Error{Message: fmt.Sprintf("recipient %q: %v", m.To, err), Err: err}
	}
	msg.Subject(m.Subject)
	msg.SetDate()

	id := ""
	for name, value := range m.Headers {
		if err := checkHeader(name, value); err != nil {
			return nil, "", err
		}
		if strings.EqualFold(name, "Message-ID") {
			id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(value), "<"), ">")
			continue
		}
		msg.SetGenHeader(gomail.Header(name), value)
	}
	if id == "" {
		id = rand.Text() + "@" + domainOf(from.Address)
	}
	msg.SetMessageIDWithValue(id)

	switch {
	case m.HTML != "" && m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, msg.GetMessageID(), nil
}

// reservedHeaders are built from Message's own fields or by the MIME writer.
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true,
}

func checkHeader(name, value string) error {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' || r == ':' }) {
		return &Error{Message: fmt.Sprintf("header name %q is not valid", name)}
	}
	if reservedHeaders[textproto.CanonicalMIMEHeaderKey(name)] {
		return &Error{Message: fmt.Sprintf("header %q is set from the message's own fields", name)}
	}
	// A line break in a value would let it add headers of its own.
	if strings.ContainsAny(value, "\r\n") {
		return &Error{Message: fmt.Sprintf("header %q contains a line break", name)}
	}
	if strings.EqualFold(name, "Message-ID") && (strings.TrimSpace(value) == "" || strings.ContainsAny(value, " \t")) {
		return &Error{Message: fmt.Sprintf("Message-ID %q is not valid", value)}
	}
	return nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

// classify maps what go-mail returned onto *Error: the reply code decides
// (4xx: try later, 5xx: refused for good); without one, a broken or
// cancelled connection is worth another attempt, while a message go-mail
// could not address or a server that cannot authenticate us safely is not.
func classify(ctx context.Context, err error) *Error {
	e := &Error{Message: err.Error(), Retryable: true, Err: err}
	var (
		sendErr  *gomail.SendError
		replyErr *textproto.Error
		certErr  *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &sendErr):
		// SendError hides the server's reply behind its own text, but keeps the code.
		e.Message, e.Code = sendErr.Error(), sendErr.ErrorCode()
		switch sendErr.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			e.Retryable = false
		}
	case errors.As(err, &replyErr): // greeting, EHLO, STARTTLS or AUTH refused
		e.Code = replyErr.Code
	case errors.As(err, &certErr),
		errors.Is(err, gosmtp.ErrUnencrypted),
		errors.Is(err, gomail.ErrPlainAuthNotSupported),
		errors.Is(err, gomail.ErrLoginAuthNotSupported),
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered):
		e.Retryable = false // configuration trouble: retrying changes nothing
	}
	if e.Code >= 500 {
		e.Retryable = false
	}
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(dl) {
		// The connection deadline (set to ctx's) can fire just before ctx's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		// The deadline we forced onto the connection shows up as an I/O
		// timeout; let errors.Is find the real cause.
		e.Err = fmt.Errorf("%w: %w", cerr, err)
		e.Message = cerr.Error() + ": " + e.Message
	}
	return e
}

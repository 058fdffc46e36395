package devserver

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"syscall"
)

// Offsets of the internal service ports from the frontend port when the
// frontend port is given. They follow the Temporal server's own development
// layout (frontend 7233, history 7234, matching 7235, worker 7239, frontend
// HTTP 7243), so `crmflow dev` on 7233 occupies the ports a Temporal
// developer expects.
const (
	historyPortOffset      = 1
	matchingPortOffset     = 2
	workerPortOffset       = 6
	frontendHTTPPortOffset = 10
)

// PortError reports a port that cannot be used. Start returns it (wrapped)
// when a port is taken, so a caller can errors.As it and tell the user which
// flag to change.
type PortError struct {
	Host    string
	Port    int
	Purpose string // "frontend", "history", ..., "ui"; empty from CheckPortFree
	Note    string // e.g. "frontend port + 1" for a derived port
	Err     error  // the listen error
}

func (e *PortError) Error() string {
	msg := fmt.Sprintf("port %d on %s", e.Port, e.Host)
	if e.Purpose != "" {
		msg = e.Purpose + " " + msg
	}
	if e.Note != "" {
		msg += " (" + e.Note + ")"
	}
	if errors.Is(e.Err, syscall.EADDRINUSE) {
		return msg + " is already in use"
	}
	return msg + " cannot be used: " + e.Err.Error()
}

func (e *PortError) Unwrap() error { return e.Err }

// CheckPortFree returns an error naming host:port when nothing can listen on
// it right now (another process holds it, or the address is not local).
// It is a point-in-time check: the port may be taken right after it returns.
func CheckPortFree(host string, port int) error {
	if port <= 0 || port > 65535 {
		return &PortError{Host: host, Port: port, Err: errors.New("not a valid TCP port")}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return &PortError{Host: host, Port: port, Err: err}
	}
	_ = l.Close()
	return nil
}

// freePort asks the OS for a port that is free on host.
//
// On Linux ephemeral ports are randomized and may be handed out again right
// after the listener closes, so (like the Temporal CLI) we connect to the
// port and close that connection from the server side: the port then sits in
// TIME_WAIT, which keeps the OS from giving it to another bind(:0) for about
// a minute, while we can still bind it explicitly (Go sets SO_REUSEADDR).
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	defer func() { _ = l.Close() }()
	port := l.Addr().(*net.TCPAddr).Port

	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		c, err := net.Dial("tcp", net.JoinHostPort(dialHost(host), strconv.Itoa(port)))
		if err != nil {
			return 0, fmt.Errorf("finding a free port on %s: %w", host, err)
		}
		s, err := l.Accept()
		if err != nil {
			_ = c.Close()
			return 0, fmt.Errorf("finding a free port on %s: %w", host, err)
		}
		_ = s.Close() // server side first: it is the side that enters TIME_WAIT
		_ = c.Close()
	}
	return port, nil
}

// ports are every TCP port the dev server listens on.
type ports struct {
	frontend     int
	frontendHTTP int
	history      int
	matching     int
	worker       int
	ui           int // 0 when there is no UI
}

// portUse names one port for error messages.
type portUse struct {
	purpose string
	port    int
}

// list returns the ports with the names used in errors.
func (p ports) list() []portUse {
	l := []portUse{
		{"frontend", p.frontend},
		{"frontend HTTP", p.frontendHTTP},
		{"history", p.history},
		{"matching", p.matching},
		{"worker", p.worker},
	}
	if p.ui != 0 {
		l = append(l, portUse{"ui", p.ui})
	}
	return l
}

// resolvePorts decides every port from the options and checks that each is
// free. A given frontend port fixes the others by offset (documented above);
// frontend port 0 picks each service port separately from the OS. UI port 0
// picks a free one, -1 means no UI.
func resolvePorts(ip string, frontend, ui int) (ports, error) {
	var p ports
	if frontend == 0 {
		for _, dst := range []*int{&p.frontend, &p.frontendHTTP, &p.history, &p.matching, &p.worker} {
			port, err := freePort(ip)
			if err != nil {
				return ports{}, err
			}
			*dst = port
		}
	} else {
		if frontend < 0 || frontend+frontendHTTPPortOffset > 65535 {
			return ports{}, fmt.Errorf("frontend port %d is out of range (it and port+%d must be valid TCP ports)",
				frontend, frontendHTTPPortOffset)
		}
		p.frontend = frontend
		p.history = frontend + historyPortOffset
		p.matching = frontend + matchingPortOffset
		p.worker = frontend + workerPortOffset
		p.frontendHTTP = frontend + frontendHTTPPortOffset
	}

	switch {
	case ui == -1:
		p.ui = 0
	case ui == 0:
		port, err := freePort(ip)
		if err != nil {
			return ports{}, err
		}
		p.ui = port
	case ui < 0 || ui > 65535:
		return ports{}, fmt.Errorf("UI port %d is not a valid TCP port (use -1 for no UI)", ui)
	default:
		p.ui = ui
	}

	// A UI port given by hand may collide with a derived service port; say so
	// instead of failing later with a confusing bind error.
	seen := map[int]string{}
	for _, u := range p.list() {
		if other, dup := seen[u.port]; dup {
			return ports{}, fmt.Errorf("%s port %d is also the %s port; choose another", u.purpose, u.port, other)
		}
		seen[u.port] = u.purpose
	}

	for _, u := range p.list() {
		if err := CheckPortFree(ip, u.port); err != nil {
			var pe *PortError
			if errors.As(err, &pe) {
				pe.Purpose = u.purpose
				if off := u.port - p.frontend; frontend != 0 && u.purpose != "frontend" && u.purpose != "ui" {
					pe.Note = fmt.Sprintf("frontend port + %d", off)
				}
			}
			return ports{}, err
		}
	}
	return p, nil
}

// dialHost is the address clients use to reach a server bound on ip: an
// unspecified bind address (0.0.0.0, ::) is reached through loopback.
func dialHost(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || !parsed.IsUnspecified() {
		return ip
	}
	if parsed.To4() != nil {
		return "127.0.0.1"
	}
	return "::1"
}

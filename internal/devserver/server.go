// Package devserver runs a real Temporal server inside the current process,
// for `crmflow dev` and for tests: all four services (frontend, history,
// matching, worker) with SQLite persistence (a file in a data folder, or in
// memory), one namespace whose custom search attributes are registered before
// start, and optionally the Temporal Web UI.
//
// It is modeled on the Temporal CLI's dev server (temporalio/cli
// internal/devserver), which is internal to that module.
package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/labstack/echo/v4"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/searchattribute/sadefs"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	// DefaultNamespace is the namespace used when Options.Namespace is empty.
	DefaultNamespace = "default"
	// DefaultRetention is how long closed workflows are kept when
	// Options.Retention is zero.
	DefaultRetention = 7 * 24 * time.Hour
	// DatabaseFile is the SQLite file's name inside Options.DataDir.
	DatabaseFile = "temporal.db"

	// clusterName is the name of our single cluster (the CLI uses the same).
	clusterName = "active"
	// readyTimeout bounds the wait for the frontend to answer after the
	// services started; the caller's ctx may cut it shorter.
	readyTimeout = 30 * time.Second
	// uiStopTimeout bounds the graceful stop of the UI's HTTP server.
	uiStopTimeout = 2 * time.Second
)

// Options configure Start. The zero value (plus DataDir or Ephemeral) is a
// working configuration.
type Options struct {
	DataDir   string // folder for the SQLite file (temporal.db); ignored when Ephemeral
	Ephemeral bool   // in-memory SQLite
	IP        string // default "127.0.0.1"
	Port      int    // frontend gRPC port; 0 = pick a free port
	UIPort    int    // Web UI port; 0 = pick a free one; -1 = no UI
	Namespace string // default "default"
	// SearchAttributes are the namespace's custom search attributes. On a new
	// database they are written with the namespace before start; on an
	// existing one, missing ones are added (through the operator API) before
	// Start returns. SQLite has a fixed number of slots per type (10 Keyword,
	// 3 each of Bool, Int, Double, Datetime, Text, KeywordList).
	SearchAttributes map[string]enums.IndexedValueType
	// Retention of closed workflows; default 7 days. Only applied when the
	// namespace is created (a restart on an existing database keeps it).
	Retention time.Duration
	Logger    *slog.Logger // server logs go here at warn level and above; nil = discard
}

// Server is a running dev server. Stop it with Stop.
type Server struct {
	temporal  temporal.Server
	frontend  string // host:port clients dial
	uiURL     string
	namespace string
	logLevel  *slog.LevelVar // minimum level of server logs
	config    *devConfig

	uiHTTP     *http.Server     // the UI when we serve it ourselves (normal case)
	uiFallback *uiserver.Server // the UI when ui-server started itself (see startUI)

	stopOnce sync.Once
	stopErr  error
}

// Start starts the server and returns once the frontend answers for the
// namespace and the search attributes are registered. ctx bounds that wait;
// the server keeps running after ctx ends (stop it with Stop).
//
// Every port is checked before anything starts; a taken port is reported as
// a *PortError naming it. On error nothing is left running or listening
// (except as noted at startTemporal).
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting temporal dev server: %w", err)
	}

	p, err := resolvePorts(opts.IP, opts.Port, opts.UIPort)
	if err != nil {
		return nil, fmt.Errorf("starting temporal dev server: %w", err)
	}

	// Hold the UI port from now on: ui-server's own Start exits the process
	// when its port is taken, so we listen ourselves and only hand ui-server
	// the listener (see startUI).
	var uiListener net.Listener
	if p.ui != 0 {
		uiListener, err = net.Listen("tcp", net.JoinHostPort(opts.IP, strconv.Itoa(p.ui)))
		if err != nil {
			return nil, fmt.Errorf("starting temporal dev server: %w",
				&PortError{Host: opts.IP, Port: p.ui, Purpose: "ui", Err: err})
		}
	}
	ok := false
	defer func() {
		if !ok && uiListener != nil {
			_ = uiListener.Close()
		}
	}()

	sqlConf, err := prepareDatabase(opts)
	if err != nil {
		return nil, err
	}

	s := &Server{
		frontend:  net.JoinHostPort(dialHost(opts.IP), strconv.Itoa(p.frontend)),
		namespace: opts.Namespace,
		logLevel:  new(slog.LevelVar),
		config:    &devConfig{static: dynamicConfig()},
	}
	s.logLevel.Set(slog.LevelWarn)
	if err := s.startTemporal(opts, p, sqlConf); err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			s.stopTemporal()
		}
	}()

	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureSearchAttributes(ctx, opts.SearchAttributes); err != nil {
		return nil, err
	}

	if uiListener != nil {
		if err := s.startUI(opts, uiListener); err != nil {
			return nil, err
		}
		s.uiURL = "http://" + net.JoinHostPort(dialHost(opts.IP), strconv.Itoa(p.ui))
	}
	ok = true
	return s, nil
}

// FrontendHostPort is the address SDK clients dial, e.g. "127.0.0.1:7233".
func (s *Server) FrontendHostPort() string { return s.frontend }

// UIURL is the Web UI's address, e.g. "http://127.0.0.1:8233", or "" when
// the server runs without UI.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the UI and the server. Stop workers and close clients first: a
// pending long poll can delay the frontend's shutdown. It is safe to call
// more than once; later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.uiHTTP != nil {
			ctx, cancel := context.WithTimeout(context.Background(), uiStopTimeout)
			if err := s.uiHTTP.Shutdown(ctx); err != nil {
				_ = s.uiHTTP.Close() // timed out: drop the remaining connections
			}
			cancel()
		}
		if s.uiFallback != nil {
			s.uiFallback.Stop()
		}
		s.stopErr = s.stopTemporal()
	})
	return s.stopErr
}

// stopTemporal stops the Temporal services. They routinely log warnings
// while shutting down (connections closing under in-flight calls), which are
// noise to a developer pressing Ctrl-C, so only errors pass from here on.
func (s *Server) stopTemporal() error {
	s.logLevel.Set(slog.LevelError)
	if err := s.temporal.Stop(); err != nil {
		return fmt.Errorf("stopping temporal server: %w", err)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.IP == "" || o.IP == "localhost" {
		// The server needs an IP (it builds host:port strings for its own
		// services), and "localhost" may resolve to ::1.
		o.IP = "127.0.0.1"
	}
	if net.ParseIP(o.IP) == nil {
		return o, fmt.Errorf("starting temporal dev server: IP %q is not an IP address", o.IP)
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < 0 {
		return o, fmt.Errorf("starting temporal dev server: negative retention %v", o.Retention)
	}
	if !o.Ephemeral && o.DataDir == "" {
		return o, errors.New("starting temporal dev server: DataDir is required unless Ephemeral is set")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	for name, typ := range o.SearchAttributes {
		if sadefs.IsReserved(name) {
			return o, fmt.Errorf("starting temporal dev server: search attribute %q is a reserved (system) name", name)
		}
		if _, known := enums.IndexedValueType_name[int32(typ)]; !known || typ == enums.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return o, fmt.Errorf("starting temporal dev server: search attribute %q has no valid type (%v)", name, typ)
		}
	}
	return o, nil
}

// prepareDatabase returns the SQLite persistence config, with the schema in
// place and the namespace registered. Both steps are idempotent, so a
// restart on the same data folder keeps every workflow and timer.
func prepareDatabase(opts Options) (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if opts.Ephemeral {
		// The SQLite plugin creates the schema itself for in-memory
		// databases, on the first connection. It keeps that connection for
		// the life of the process (its pool never closes connections), so a
		// unique name per Start keeps dev servers in one process apart.
		name, err := randomName()
		if err != nil {
			return nil, err
		}
		conf.DatabaseName = name
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		dir, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, fmt.Errorf("resolving temporal data folder %q: %w", opts.DataDir, err)
		}
		if strings.ContainsAny(dir, "?#") {
			// The plugin puts the path into a "file:" URI unescaped.
			return nil, fmt.Errorf("temporal data folder %q: path must not contain '?' or '#'", dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating temporal data folder: %w", err)
		}
		conf.DatabaseName = filepath.Join(dir, DatabaseFile)
		conf.ConnectAttributes = map[string]string{"mode": "rwc"}

		// SetupSchema fails on an existing schema, so run it only for a new
		// (missing or empty) file; a failed setup removes the file so the
		// next start tries again instead of finding half a schema.
		info, err := os.Stat(conf.DatabaseName)
		switch {
		case errors.Is(err, fs.ErrNotExist) || (err == nil && info.Size() == 0):
			if err := sqliteschema.SetupSchema(conf); err != nil {
				_ = os.Remove(conf.DatabaseName)
				return nil, fmt.Errorf("creating temporal database schema in %s: %w", conf.DatabaseName, err)
			}
		case err != nil:
			return nil, fmt.Errorf("checking temporal database: %w", err)
		}
	}

	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("preparing namespace %q: %w", opts.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	// A no-op when the namespace exists (restart): its search attributes
	// are then checked after start, in ensureSearchAttributes.
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("registering namespace %q: %w", opts.Namespace, err)
	}
	return conf, nil
}

func randomName() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("naming in-memory database: %w", err)
	}
	return "crmflow-dev-" + hex.EncodeToString(b), nil
}

// startTemporal builds and starts the four services.
//
// If starting fails half way, the server (v1.32) does not stop the services
// that did start and offers no way to reach them; that is why every port is
// checked before we get here.
func (s *Server) startTemporal(opts Options, p ports, sqlConf *config.SQL) error {
	host := dialHost(opts.IP)
	addr := func(port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

	service := func(grpcPort, httpPort int) config.Service {
		var svc config.Service
		svc.RPC.GRPCPort = grpcPort
		svc.RPC.HTTPPort = httpPort
		svc.RPC.BindOnIP = opts.IP
		return svc
	}

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	// No metrics config: the server then uses a no-op metrics handler and
	// opens no metrics port.
	conf.Persistence.DefaultStore = "sqlite-default"
	conf.Persistence.VisibilityStore = "sqlite-default"
	conf.Persistence.NumHistoryShards = 1 // one process; more shards only cost CPU
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite-default": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             addr(p.frontend),
				HTTPAddress:            addr(p.frontendHTTP),
				// Empty: the server generates a cluster id on first start and
				// keeps the stored one afterwards.
				ClusterID: "",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): service(p.frontend, p.frontendHTTP),
		string(primitives.HistoryService):  service(p.history, 0),
		string(primitives.MatchingService): service(p.matching, 0),
		string(primitives.WorkerService):   service(p.worker, 0),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = addr(p.frontend)

	srv, err := temporal.NewServer(
		temporal.WithConfig(&conf),
		temporal.ForServices(temporal.DefaultServices),
		// Static hosts: each service knows the others' addresses, so no
		// membership ring (and no membership ports) is needed.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(addr(p.frontend)),
			primitives.HistoryService:  static.SingleLocalHost(addr(p.history)),
			primitives.MatchingService: static.SingleLocalHost(addr(p.matching)),
			primitives.WorkerService:   static.SingleLocalHost(addr(p.worker)),
		}),
		temporal.WithLogger(newServerLogger(opts.Logger, s.logLevel)),
		temporal.WithDynamicConfigClient(s.config),
	)
	if err != nil {
		return fmt.Errorf("building temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop() // best effort: see above
		return fmt.Errorf("starting temporal server: %w", err)
	}
	s.temporal = srv
	return nil
}

// waitReady polls the frontend until it describes our namespace: the
// services have started when Start returns, but the frontend may still be
// loading namespaces.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	conn, err := s.dial()
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	client := workflowservice.NewWorkflowServiceClient(conn)
	for {
		callCtx, callCancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace})
		callCancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for temporal frontend at %s to serve namespace %q: %w (last error: %v)",
				s.frontend, s.namespace, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ensureSearchAttributes adds the wanted search attributes the namespace
// lacks. On a new database NewNamespaceConfig already wrote them, so this is
// one list call; it matters when a restart on an existing database asks for
// attributes added since (CreateNamespaces leaves an existing namespace as is).
func (s *Server) ensureSearchAttributes(ctx context.Context, want map[string]enums.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	conn, err := s.dial()
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	op := operatorservice.NewOperatorServiceClient(conn)

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.namespace})
	if err != nil {
		return fmt.Errorf("listing search attributes of namespace %q: %w", s.namespace, err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range want {
		got, exists := have.GetCustomAttributes()[name]
		switch {
		case !exists:
			missing[name] = typ
		case got != typ:
			return fmt.Errorf("search attribute %q of namespace %q is %v in the existing database, not %v",
				name, s.namespace, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	s.config.refreshSearchAttributesForAWhile() // caches loaded before the addition lack them
	if _, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        s.namespace,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("adding search attributes to namespace %q: %w", s.namespace, err)
	}
	return nil
}

// dial opens a gRPC connection to our own frontend (lazily: NewClient does
// not connect until the first call).
func (s *Server) dial() (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(s.frontend, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connecting to temporal frontend at %s: %w", s.frontend, err)
	}
	return conn, nil
}

// startUI serves the Temporal Web UI on ln.
//
// ui-server's Server has no way to take a listener: its Start listens itself
// and, on any listen error, exits the process (echo Logger.Fatal). So we let
// uiserver.NewServer build everything (routes, middleware, embedded assets)
// and serve its echo instance, which is an http.Handler, on our listener.
// Reaching it takes reflection on ui-server's unexported field (pinned at
// v2.55.0; the test covers it). Should a later version rename the field, we
// fall back to ui-server's own Start, as the Temporal CLI does, with a
// port check just before.
//
// ui-server also dials the frontend with a gRPC connection it never closes;
// it is idle after Stop and reconnects to nothing.
func (s *Server) startUI(opts Options, ln net.Listener) (err error) {
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: s.frontend,
		Host:                opts.IP,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    s.namespace,
		// Plain http on loopback: the CSRF cookie must not require TLS.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
		// No calls to the internet for news or release checks.
		DisableNewsFetch: true,
	}

	var ui *uiserver.Server
	func() {
		// NewServer panics on bad config or missing assets.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("building temporal web UI: %v", r)
			}
		}()
		ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(cfg))
	}()
	if err != nil {
		return err
	}

	if e := echoOf(ui); e != nil {
		s.uiHTTP = &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
		}
		go func() { _ = s.uiHTTP.Serve(ln) }() // returns ErrServerClosed on Stop
		return nil
	}

	_ = ln.Close()
	if err := CheckPortFree(opts.IP, port); err != nil {
		return fmt.Errorf("starting temporal web UI: %w", err)
	}
	s.uiFallback = ui
	go func() { _ = ui.Start() }()
	return nil
}

// echoOf returns the echo instance inside a ui-server Server, or nil if its
// layout is not the one we know.
func echoOf(ui *uiserver.Server) *echo.Echo {
	f := reflect.ValueOf(ui).Elem().FieldByName("httpServer")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*echo.Echo]() {
		return nil
	}
	return *(**echo.Echo)(unsafe.Pointer(f.UnsafeAddr()))
}

// serverLogger adapts the Temporal server's logger interface to slog.
type serverLogger struct{ l *slog.Logger }

var (
	_ log.Logger      = serverLogger{}
	_ log.WithLogger  = serverLogger{}
	_ log.SLogWrapper = serverLogger{}
)

// newServerLogger sends server logs at or above level to base.
func newServerLogger(base *slog.Logger, level *slog.LevelVar) serverLogger {
	return serverLogger{l: slog.New(&minLevelHandler{h: base.Handler(), min: level})}
}

func (s serverLogger) Debug(msg string, tags ...tag.Tag) { s.log(slog.LevelDebug, msg, tags) }
func (s serverLogger) Info(msg string, tags ...tag.Tag)  { s.log(slog.LevelInfo, msg, tags) }
func (s serverLogger) Warn(msg string, tags ...tag.Tag)  { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// DPanic, Panic and Fatal log as errors and return: an embedded server must
// not panic or exit the host process (the Temporal CLI does the same).
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Panic(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Fatal(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }

// With returns a logger that adds tags to every record.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	args := make([]any, len(tags))
	for i, t := range tags {
		args[i] = slog.Any(t.Key(), t.Value())
	}
	return serverLogger{l: s.l.With(args...)}
}

// SLog lets server code that wants an slog.Logger (log.NewSlogLogger) use
// ours, level filter included.
func (s serverLogger) SLog() *slog.Logger { return s.l }

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) { // cheap exit before converting tags
		return
	}
	if level == slog.LevelWarn && quietWarnings[msg] {
		return
	}
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = slog.Any(t.Key(), t.Value())
	}
	s.l.LogAttrs(ctx, level, msg, attrs...)
}

// quietWarnings are server warnings that ordinary use of the embedded server
// triggers and that say nothing actionable to a crmflow user.
var quietWarnings = map[string]bool{
	// the Web UI asks for large history pages whenever a run is opened
	"GetHistory page size is larger than threshold": true,
}

// minLevelHandler drops records below a level that can change at run time
// (raised to error while stopping).
type minLevelHandler struct {
	h   slog.Handler
	min *slog.LevelVar
}

func (m *minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= m.min.Level() && m.h.Enabled(ctx, level)
}

func (m *minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	return m.h.Handle(ctx, r)
}

func (m *minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &minLevelHandler{h: m.h.WithAttrs(attrs), min: m.min}
}

func (m *minLevelHandler) WithGroup(name string) slog.Handler {
	return &minLevelHandler{h: m.h.WithGroup(name), min: m.min}
}

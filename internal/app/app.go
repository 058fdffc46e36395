// Package app wires crmflow together: the database, the Temporal client,
// the services, the worker and the API. `crmflow dev`, `server` and `worker`
// all start from here, so they run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities"
	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/payments"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/internal/config"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/definitions"
	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/internal/enrollment"
	"github.com/crmflow/crmflow/internal/history"
	"github.com/crmflow/crmflow/internal/inboundhooks"
	"github.com/crmflow/crmflow/internal/installkeys"
	"github.com/crmflow/crmflow/internal/metrics"
	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/internal/triggerlinks"
	"github.com/crmflow/crmflow/models"
	"github.com/crmflow/crmflow/workflows"
)

// App holds the wired services.
type App struct {
	Config      config.Config
	Log         *slog.Logger
	DB          *gorm.DB
	Temporal    client.Client
	Contacts    *contacts.Service
	Definitions *definitions.Service
	Enrollments *enrollment.Service
	Records     *records.Service // users, notes, tasks, pipelines, opportunities, appointments
	// TriggerLinks and InboundHooks run trigger links and inbound webhooks.
	TriggerLinks *triggerlinks.Service
	InboundHooks *inboundhooks.Service
	// EmailTracking tracks opens, clicks and unsubscribes of sent emails.
	EmailTracking *emailtracking.Service
	Activities    *activities.Activities
	// TemporalUIURL is the Web UI, for links in enrollment answers.
	TemporalUIURL string
	// History reads execution logs and statistics and prunes old logs
	// after LogRetention (CRMFLOW_LOG_RETENTION; 0 keeps them forever).
	History      *history.Service
	LogRetention time.Duration
	// Metrics is the process's Prometheus registry: the API, enrollments,
	// activities and the Temporal SDK record on it; /metrics serves it.
	Metrics *metrics.Metrics
}

// Open connects to the database (migrating it) and to Temporal.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, uiURL string) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set (postgres://... or a SQLite file path)")
	}
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := models.Migrate(ctx, db); err != nil {
		return nil, err
	}
	reg := metrics.New()
	tc, err := client.DialContext(ctx, client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         sdklog.NewStructuredLogger(NewLogger(cfg.LogFormat, slog.LevelWarn).With("component", "temporal-sdk")),
		MetricsHandler: reg.Temporal(),
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	a := &App{Config: cfg, Log: log, DB: db, Temporal: tc, TemporalUIURL: uiURL, Metrics: reg}
	a.Enrollments = &enrollment.Service{DB: db, Temporal: tc, Log: log, UIBaseURL: uiURL, Namespace: cfg.TemporalNamespace,
		Metrics: reg}
	a.Contacts = &contacts.Service{DB: db, Router: a.Enrollments, Log: log}
	a.Definitions = &definitions.Service{DB: db, Schedules: a.newSchedules(tc)}
	a.Records = &records.Service{DB: db, Router: a.Enrollments, Log: log}
	a.TriggerLinks = &triggerlinks.Service{DB: db, Keys: &installkeys.Store{DB: db}, Router: a.Enrollments, Log: log}
	a.InboundHooks = &inboundhooks.Service{DB: db, Contacts: a.Contacts, Router: a.Enrollments, Log: log}
	a.EmailTracking = &emailtracking.Service{DB: db, Keys: a.TriggerLinks.Keys, Contacts: a.Contacts, Router: a.Enrollments, Log: log}
	a.History = &history.Service{DB: db}
	if a.LogRetention, err = history.ParseRetention(cfg.LogRetention); err != nil {
		tc.Close()
		return nil, err
	}
	acts, err := a.newActivities()
	if err != nil {
		tc.Close()
		return nil, err
	}
	a.Activities = acts
	return a, nil
}

// newActivities picks providers from the configuration: without a
// provider's settings its messages are recorded, not sent.
func (a *App) newActivities() (*activities.Activities, error) {
	cfg := a.Config
	opts := activities.Options{DB: a.DB, Contacts: a.Contacts, AllowPrivate: cfg.WebhookAllowPrivate, Log: a.Log,
		PublicURL: cfg.PublicURL, Metrics: a.Metrics, Temporal: a.Temporal}
	opts.TriggerLinks, opts.LinkBaseURL = a.TriggerLinks, a.LinkBaseURL()
	opts.Records, opts.Enrollments, opts.Workflows = a.Records, a.Enrollments, a.Enrollments
	opts.AI = activities.AIOptions{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, AllowPrivate: cfg.WebhookAllowPrivate}
	opts.EmailTracking, opts.EmailFrom = a.EmailTracking, senderAddress(cfg.SMTPFrom)
	if cfg.TwilioAccountSID != "" {
		tw, err := sms.NewTwilio(sms.TwilioOptions{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			From: cfg.TwilioFromNumber, BaseURL: cfg.TwilioBaseURL})
		if err != nil {
			return nil, fmt.Errorf("configuring Twilio: %w", err)
		}
		opts.SMS = tw
	}
	if cfg.SMTPURL != "" {
		m, err := email.NewSMTP(email.SMTPOptions{URL: cfg.SMTPURL, From: cfg.SMTPFrom})
		if err != nil {
			return nil, fmt.Errorf("configuring SMTP: %w", err)
		}
		opts.Email = m
	}
	if cfg.StripeAPIKey != "" {
		st, err := payments.NewStripe(payments.StripeOptions{APIKey: cfg.StripeAPIKey, BaseURL: cfg.StripeBaseURL})
		if err != nil {
			return nil, fmt.Errorf("configuring Stripe: %w", err)
		}
		opts.Payments = st
	}
	return activities.New(opts), nil
}

// Providers says, for the start-up banner, where messages go.
func (a *App) Providers() (smsTo, emailTo string) {
	smsTo, emailTo = "recorded (set TWILIO_ACCOUNT_SID to send)", "recorded (set SMTP_URL to send)"
	if a.Config.TwilioAccountSID != "" {
		smsTo = "Twilio"
	}
	if a.Config.SMTPURL != "" {
		emailTo = "SMTP"
	}
	return smsTo, emailTo
}

// Services says, for the start-up banner, which optional services are on.
func (a *App) Services() (payments, ai, admin string) {
	payments, ai, admin = "off (set STRIPE_API_KEY)", "off (set OPENAI_API_KEY or OPENAI_BASE_URL)", "off (set CRMFLOW_ADMIN_KEY)"
	if a.Config.StripeAPIKey != "" {
		payments = "Stripe"
		if a.Config.StripeBaseURL != "" {
			payments += " at " + a.Config.StripeBaseURL
		}
	}
	if a.Config.OpenAIAPIKey != "" || a.Config.OpenAIBaseURL != "" {
		ai = "on"
	}
	if a.Config.AdminKey != "" {
		admin = "POST /v1/accounts with CRMFLOW_ADMIN_KEY"
	}
	return payments, ai, admin
}

// NewWorker registers the interpreter, the drip coordinator and the
// activities on the task queue.
func (a *App) NewWorker() worker.Worker {
	w := worker.New(a.Temporal, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Interpret, workflow.RegisterOptions{Name: workflows.InterpretWorkflow})
	w.RegisterWorkflowWithOptions(workflows.DripCoordinator, workflow.RegisterOptions{Name: workflows.DripWorkflow})
	a.Activities.Register(w)
	a.registerScheduled(w)
	return w
}

// Close releases the connections.
func (a *App) Close() {
	if a.Temporal != nil {
		a.Temporal.Close()
	}
	if a.DB != nil {
		if sqlDB, err := a.DB.DB(); err == nil {
			sqlDB.Close()
		}
	}
}

// NewLogger builds the process logger: text for people, JSON for machines.
func NewLogger(format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// senderAddress is the address of SMTP_FROM ("Name <addr>" or "addr"), as
// the message log shows the sender of emails that name none.
func senderAddress(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return a.Address
	}
	return from
}

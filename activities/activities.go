// Package activities holds every side effect of the interpreter: loading the
// pinned definition, writing the execution log, and running action steps
// against the database and the providers (Twilio, SMTP, HTTP webhooks).
package activities

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/crmflow/crmflow/activities/email"
	"github.com/crmflow/crmflow/activities/payments"
	"github.com/crmflow/crmflow/activities/sms"
	"github.com/crmflow/crmflow/internal/contacts"
	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/internal/metrics"
	"github.com/crmflow/crmflow/internal/records"
	"github.com/crmflow/crmflow/internal/triggerlinks"
	"github.com/crmflow/crmflow/workflows"
)

// Options wires the activities to their dependencies.
type Options struct {
	DB       *gorm.DB
	Contacts *contacts.Service
	// Records changes notes, tasks and opportunities for the record steps;
	// Enrollments ends a deleted contact's other runs (delete_contact).
	Records     *records.Service
	Enrollments ContactExiter
	// Workflows enrolls into and removes from other workflows
	// (add_to_workflow, remove_from_workflow); nil fails those steps.
	Workflows WorkflowEnroller
	// SMS and Email are nil when no provider is configured: messages are
	// then recorded (status "recorded"), not sent.
	SMS   sms.Sender
	Email email.Sender
	// HTTP makes webhook calls; nil builds one that refuses private
	// addresses unless AllowPrivate is set.
	HTTP         *http.Client
	AllowPrivate bool
	Log          *slog.Logger
	// PublicURL is CRMFLOW_PUBLIC_URL: when set, SMS carry a StatusCallback
	// under it, so Twilio reports delivery to /v1/webhooks/twilio/<account>/status.
	PublicURL string
	// TriggerLinks renders {{trigger_link.<id>}} under LinkBaseURL
	// (CRMFLOW_PUBLIC_URL, else the API's own address); nil renders nothing.
	TriggerLinks *triggerlinks.Service
	LinkBaseURL  string
	// EmailTracking adds the open pixel, click wrapping and unsubscribe
	// link to emails, under LinkBaseURL; nil sends emails untracked.
	EmailTracking *emailtracking.Service
	// EmailFrom is SMTP_FROM, the sender of emails that name none (shown
	// as the message's from).
	EmailFrom string
	// Payments is Stripe; nil (no STRIPE_API_KEY) fails payment steps
	// with "Stripe is not configured".
	Payments *payments.Stripe
	// AI is the chat endpoint of ai_prompt steps; empty fails them with
	// "not configured".
	AI AIOptions
	// Metrics records steps, enrollment outcomes and provider errors;
	// nil records nothing.
	Metrics *metrics.Metrics
	// Temporal signal-with-starts drip coordinators (JoinDrip); nil fails
	// drip steps with "need a Temporal client".
	Temporal client.Client
	// Clock is what steps read the time from (now.*, when a step ended);
	// nil is the wall clock. A simulation passes its environment's clock.
	Clock func() time.Time
}

// Activities implements the activities the interpreter calls by name.
type Activities struct {
	opts     Options
	http     *http.Client
	versions sync.Map // "<workflow>/<version>" -> definition (versions are immutable)
}

// New builds the activities.
func New(opts Options) *Activities {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	a := &Activities{opts: opts, http: opts.HTTP}
	if a.http == nil {
		a.http = NewWebhookClient(opts.AllowPrivate)
	}
	return a
}

// Registry is where activities are registered: a worker, or the SDK's test environment.
type Registry interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers every activity under the names the interpreter uses.
func (a *Activities) Register(w Registry) {
	for name, fn := range map[string]any{
		workflows.ActivityLoadRun:     a.LoadRun,
		workflows.ActivityExecuteStep: a.ExecuteStep,
		workflows.ActivityEvaluate:    a.Evaluate,
		workflows.ActivityRecordStep:  a.RecordStep,
		workflows.ActivityFinish:      a.Finish,
		workflows.ActivityResolve:     a.Resolve,
		workflows.ActivityLoadVersion: a.LoadVersion,
		workflows.ActivityJoinDrip:    a.JoinDrip,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

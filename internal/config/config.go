// Package config reads crmflow's settings from the environment (contract.md,
// "Command line and configuration"). Every setting is optional.
package config

import (
	"fmt"
	"os"
	"strings"
)

// Config is every environment setting.
type Config struct {
	DatabaseURL       string // postgres://... or a SQLite path
	TemporalAddress   string
	TemporalNamespace string
	APIAddr           string
	MetricsAddr       string // CRMFLOW_METRICS_ADDR: the worker's /metrics (the API serves its own)
	DevAPIKey         string
	AdminKey          string
	PublicURL         string
	// TemporalUIURL is the Temporal Web UI that enrollment answers link to
	// (CRMFLOW_TEMPORAL_UI_URL; `crmflow dev` sets its own).
	TemporalUIURL string

	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFromNumber string
	TwilioBaseURL    string

	SMTPURL  string
	SMTPFrom string

	StripeAPIKey        string
	StripeBaseURL       string
	StripeWebhookSecret string

	OpenAIAPIKey  string
	OpenAIBaseURL string

	WebhookAllowPrivate bool
	LogFormat           string // "text" or "json"
	// LogRetention is CRMFLOW_LOG_RETENTION ("90d"): how long execution
	// logs and events of finished enrollments are kept; "" keeps them forever.
	LogRetention string
}

// FromEnv reads the environment, with the defaults of `crmflow server`/`worker`.
func FromEnv() Config {
	c := Config{
		DatabaseURL:         os.Getenv("DATABASE_URL"),
		TemporalAddress:     env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace:   env("TEMPORAL_NAMESPACE", "default"),
		APIAddr:             env("CRMFLOW_API_ADDR", "127.0.0.1:8080"),
		MetricsAddr:         env("CRMFLOW_METRICS_ADDR", "127.0.0.1:9090"),
		DevAPIKey:           os.Getenv("CRMFLOW_DEV_API_KEY"),
		AdminKey:            os.Getenv("CRMFLOW_ADMIN_KEY"),
		PublicURL:           strings.TrimRight(os.Getenv("CRMFLOW_PUBLIC_URL"), "/"),
		TemporalUIURL:       strings.TrimRight(os.Getenv("CRMFLOW_TEMPORAL_UI_URL"), "/"),
		TwilioAccountSID:    os.Getenv("TWILIO_ACCOUNT_SID"),
		TwilioAuthToken:     os.Getenv("TWILIO_AUTH_TOKEN"),
		TwilioFromNumber:    os.Getenv("TWILIO_FROM_NUMBER"),
		TwilioBaseURL:       os.Getenv("TWILIO_API_BASE_URL"),
		SMTPURL:             os.Getenv("SMTP_URL"),
		SMTPFrom:            os.Getenv("SMTP_FROM"),
		StripeAPIKey:        os.Getenv("STRIPE_API_KEY"),
		StripeBaseURL:       os.Getenv("STRIPE_API_BASE_URL"),
		StripeWebhookSecret: os.Getenv("STRIPE_WEBHOOK_SECRET"),
		OpenAIAPIKey:        os.Getenv("OPENAI_API_KEY"),
		OpenAIBaseURL:       os.Getenv("OPENAI_BASE_URL"),
		WebhookAllowPrivate: os.Getenv("CRMFLOW_WEBHOOK_ALLOW_PRIVATE") == "1",
		LogFormat:           env("CRMFLOW_LOG_FORMAT", "text"),
		LogRetention:        os.Getenv("CRMFLOW_LOG_RETENTION"),
	}
	return c
}

// Validate reports settings that cannot work, before anything starts.
func (c Config) Validate() error {
	if (c.TwilioAccountSID == "") != (c.TwilioAuthToken == "") {
		return fmt.Errorf("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("CRMFLOW_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	return nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

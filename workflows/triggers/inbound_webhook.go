package triggers

import (
	"sort"
	"strings"

	"github.com/crmflow/crmflow/workflows/definition"
	"github.com/crmflow/crmflow/workflows/validation"
)

func init() { register(inboundWebhook{}) }

// InboundWebhookType is the trigger (and event) type of inbound webhooks.
const InboundWebhookType = "inbound_webhook"

// InboundWebhookConfig is the config of an inbound_webhook trigger. Mapping
// maps contact fields (first_name, email, custom.plan, ...) to paths into
// the payload ("lead.name", "items[0].sku"). Fields the mapping does not
// name are taken from the payload's own email, phone, first_name and
// last_name.
type InboundWebhookConfig struct {
	Mapping map[string]string `json:"mapping"`
}

// MappingTargets are the contact fields a mapping may fill, besides custom.<key>.
var MappingTargets = []string{"first_name", "last_name", "email", "phone", "timezone", "date_of_birth"}

// DefaultMapping is what is used for the fields a mapping leaves out.
var DefaultMapping = map[string]string{"email": "email", "phone": "phone", "first_name": "first_name", "last_name": "last_name"}

// inboundWebhook fires when a payload is sent to the trigger's own secret
// URL; only the workflow that owns the URL is entered. The event's data is
// the payload as received.
type inboundWebhook struct{}

func (inboundWebhook) Type() string     { return InboundWebhookType }
func (inboundWebhook) Events() []string { return []string{InboundWebhookType} }

func (inboundWebhook) Validate(p *validation.Problems, t *definition.Trigger) {
	var cfg InboundWebhookConfig
	if !decodeTriggerConfig(p, t.Config, &cfg) {
		return
	}
	fields := make([]string, 0, len(cfg.Mapping))
	for f := range cfg.Mapping {
		fields = append(fields, f)
	}
	sort.Strings(fields) // faults in a stable order
	for _, f := range fields {
		path := "config.mapping." + f
		if !IsMappingTarget(f) {
			p.Add(path, "unknown contact field %q: use %s or custom.<key>", f, strings.Join(MappingTargets, ", "))
		}
		if !ValidPayloadPath(cfg.Mapping[f]) {
			p.Add(path, "must be a path into the payload such as \"email\" or \"lead.name\" or \"items[0].sku\"")
		}
	}
}

// IsMappingTarget reports whether a mapping may fill the contact field f.
func IsMappingTarget(f string) bool {
	if key, ok := strings.CutPrefix(f, "custom."); ok {
		return key != "" && !strings.ContainsAny(key, ". ")
	}
	for _, t := range MappingTargets {
		if f == t {
			return true
		}
	}
	return false
}

// PayloadPath splits "lead.items[0].name" into its segments.
func PayloadPath(path string) []string {
	path = strings.ReplaceAll(path, "[", ".")
	path = strings.ReplaceAll(path, "]", "")
	var out []string
	for _, s := range strings.Split(strings.TrimSpace(path), ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ValidPayloadPath reports whether path names something in a payload.
func ValidPayloadPath(path string) bool {
	return strings.TrimSpace(path) != "" && len(PayloadPath(path)) > 0 &&
		strings.Count(path, "[") == strings.Count(path, "]")
}

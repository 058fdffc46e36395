package providerevents

import (
	"net/url"
	"strings"

	twclient "github.com/twilio/twilio-go/client"

	"github.com/crmflow/crmflow/models"
)

// VerifyTwilio checks X-Twilio-Signature: the HMAC-SHA1, keyed with the auth
// token, of the URL Twilio called (as configured there) followed by the
// sorted POST parameters. twilio-go's validator also accepts the URL with
// and without its default port, as Twilio signs either.
func VerifyTwilio(authToken, fullURL string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	v := twclient.NewRequestValidator(authToken)
	return v.Validate(fullURL, params, signature)
}

// Opt-out and opt-in keywords, as carriers and Twilio's own Advanced
// Opt-Out handle them: the whole message, in any case.
var (
	optOutWords = map[string]bool{"stop": true, "stopall": true, "unsubscribe": true, "cancel": true, "end": true, "quit": true}
	optInWords  = map[string]bool{"start": true, "unstop": true}
)

// Keyword reads an inbound message as an opt keyword: optOut for STOP and
// its synonyms, optIn for START/UNSTOP; neither for anything else (HELP too).
func Keyword(body string) (optOut, optIn bool) {
	w := strings.ToLower(strings.Trim(strings.TrimSpace(body), ".!"))
	return optOutWords[w], optInWords[w]
}

// MessageStatus maps Twilio's MessageStatus to ours; ok is false for
// statuses that say nothing about an outbound message (inbound ones).
func MessageStatus(twilio string) (status string, ok bool) {
	switch strings.ToLower(twilio) {
	case "accepted", "scheduled", "queued", "sending":
		return models.MessageQueued, true
	case "sent":
		return models.MessageSent, true
	case "delivered", "read":
		return models.MessageDelivered, true
	case "undelivered":
		return models.MessageUndelivered, true
	case "failed", "canceled":
		return models.MessageFailed, true
	}
	return "", false
}

// StatusRank orders statuses so that a late callback never moves a message
// back (Twilio does not promise to call in order): a status only replaces
// one of lower rank. Statuses of our own ledger rank as where they stand.
func StatusRank(status string) int {
	switch status {
	case models.MessageSending, models.MessageQueued:
		return 1
	case models.MessageSent:
		return 2
	case models.MessageDelivered, models.MessageUndelivered, models.MessageFailed:
		return 3
	}
	return 0
}

// StatusError describes a failed delivery from the callback's ErrorCode and
// ErrorMessage, "" when there is neither.
func StatusError(code, message string) string {
	code, message = strings.TrimSpace(code), strings.TrimSpace(message)
	switch {
	case code != "" && message != "":
		return "twilio error " + code + ": " + message
	case code != "":
		return "twilio error " + code + " (https://www.twilio.com/docs/errors/" + code + ")"
	}
	return message
}

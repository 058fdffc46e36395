package steps

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// SMSSender is who an SMS is sent from: exactly one field is set, or none
// (the provider's default: TWILIO_FROM_NUMBER).
type SMSSender struct {
	Number              string // E.164
	MessagingServiceSID string // Twilio picks a number of the service
	AlphanumericID      string // a brand name, where the destination country allows it
}

// Value is the sender as the message log shows it.
func (s SMSSender) Value() string { return s.Number + s.MessagingServiceSID + s.AlphanumericID }

var (
	messagingServiceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	// Twilio's alphanumeric sender IDs: up to 11 of A-Z, a-z, 0-9 and space,
	// with at least one letter (else it would read as a short code).
	alphanumericID = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	hasLetter      = regexp.MustCompile(`[A-Za-z]`)
)

// ParseSMSSender reads a send_sms `from` (or the workflow's sender
// from_number): a Twilio messaging service SID (MG + 32 hex digits), an
// alphanumeric sender ID, or a phone number, normalised to E.164 with
// libphonenumber (numbers without a country code read as numbers of region).
func ParseSMSSender(from, region string) (SMSSender, error) {
	from = strings.TrimSpace(from)
	switch {
	case from == "":
		return SMSSender{}, nil
	case messagingServiceSID.MatchString(from):
		return SMSSender{MessagingServiceSID: "MG" + strings.ToLower(from[2:])}, nil
	case alphanumericID.MatchString(from) && hasLetter.MatchString(from):
		return SMSSender{AlphanumericID: from}, nil
	}
	num, err := phonenumbers.Parse(from, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return SMSSender{}, fmt.Errorf("%q is not a phone number (E.164, e.g. +14155550123), a Twilio messaging service SID (MG + 32 hex digits) or an alphanumeric sender ID (up to 11 letters, digits and spaces)", from)
	}
	return SMSSender{Number: phonenumbers.Format(num, phonenumbers.E164)}, nil
}

// Package providerevents reads what providers call us with (Twilio inbound
// SMS and status callbacks, Stripe events): it checks their signatures and
// translates their payloads into crmflow events and message statuses. It
// touches no database; the API records what it returns.
package providerevents

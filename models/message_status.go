package models

// Delivery statuses a provider reports after the send (Twilio status
// callbacks): a sent message moves on to delivered, undelivered or failed.
// MessageSent and MessageFailed serve both the send and the callbacks.
const (
	MessageQueued      = "queued"      // the provider holds it, not yet handed to the carrier
	MessageDelivered   = "delivered"   // the carrier confirmed delivery
	MessageUndelivered = "undelivered" // the carrier could not deliver it
)

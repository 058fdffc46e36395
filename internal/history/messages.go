package history

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/crmflow/crmflow/models"
)

// messageStats counts the messages of each message step, for enrollments
// started in the range:
//   - sent: handed to the provider or recorded (no provider configured):
//     statuses sent, recorded, queued, delivered, undelivered;
//   - delivered: the provider confirmed delivery (Twilio status callbacks;
//     SMTP reports no delivery, so emails stay at sent);
//   - failed: the send failed, or the carrier reported it undelivered;
//   - skipped: not sent (do-not-disturb, no address);
//   - opened, clicked: messages with an email_event of that kind naming the
//     message in data.message_id (the tracking pixel and links raise these,
//     and so can POST /v1/events);
//   - replied: messages a customer_replied event answers: the one its
//     data.message_id names, else the contact's last message on the
//     reply's channel sent before the reply.
//
// Only outbound messages count: inbound texts (the Twilio webhook) belong
// to no enrollment, so the joins on enrollments leave them out (and the
// per-step counts keep to their covering index), and a reply is never
// credited to another reply.
func messageStats(db *gorm.DB, f StatsFilter, st *Stats) error {
	get := func(step string) *MessageStats {
		if st.Messages[step] == nil {
			st.Messages[step] = &MessageStats{}
		}
		return st.Messages[step]
	}
	scope, args := enrollmentScope(f)

	var byStatus []struct {
		StepID string
		Status string
		N      int64
	}
	err := db.Raw(`SELECT m.step_id AS step_id, m.status AS status, COUNT(*) AS n
		FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
		WHERE `+scope+` GROUP BY m.step_id, m.status`, args...).Scan(&byStatus).Error
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	for _, r := range byStatus {
		m := get(r.StepID)
		switch r.Status {
		case models.MessageSent, models.MessageRecorded, models.MessageQueued, models.MessageDelivered:
			m.Sent += r.N
		case models.MessageUndelivered:
			m.Sent += r.N
			m.Failed += r.N
		case models.MessageFailed:
			m.Failed += r.N
		case models.MessageSkipped:
			m.Skipped += r.N
		}
		if r.Status == models.MessageDelivered {
			m.Delivered += r.N
		}
	}

	kind, msgID := jsonText(db, "ev.data", "event"), jsonText(db, "ev.data", "message_id")
	var interactions []struct {
		StepID string
		Kind   string
		N      int64
	}
	err = db.Raw(`SELECT m.step_id AS step_id, `+kind+` AS kind, COUNT(DISTINCT m.id) AS n
		FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
		JOIN events ev ON ev.contact_id = m.contact_id AND ev.type = 'email_event' AND `+msgID+` = m.id
		WHERE `+scope+` AND `+kind+` IN ('opened', 'clicked')
		GROUP BY m.step_id, `+kind, args...).Scan(&interactions).Error
	if err != nil {
		return fmt.Errorf("email events: %w", err)
	}
	for _, r := range interactions {
		if r.Kind == "opened" {
			get(r.StepID).Opened = r.N
		} else {
			get(r.StepID).Clicked = r.N
		}
	}

	channel := jsonText(db, "ev.data", "channel")
	var replies []struct {
		StepID string
		N      int64
	}
	replyArgs := append([]any{f.AccountID, f.WorkflowID}, args...)
	err = db.Raw(`SELECT m.step_id AS step_id, COUNT(DISTINCT m.id) AS n
		FROM events ev
		JOIN messages m ON m.id = COALESCE(
			(SELECT x.id FROM messages x WHERE x.id = `+msgID+` AND x.account_id = ev.account_id
				AND x.direction = 'outbound'),
			(SELECT y.id FROM messages y WHERE y.contact_id = ev.contact_id AND y.channel = `+channel+`
				AND y.direction = 'outbound'
				AND y.created_at <= ev.occurred_at AND y.status NOT IN ('sending', 'failed', 'skipped')
				ORDER BY y.created_at DESC, y.id DESC LIMIT 1))
		JOIN enrollments e ON e.id = m.enrollment_id
		WHERE ev.type = 'customer_replied' AND ev.account_id = ?
			AND ev.contact_id IN (SELECT contact_id FROM enrollments WHERE workflow_id = ?)
			AND `+scope+` GROUP BY m.step_id`, replyArgs...).Scan(&replies).Error
	if err != nil {
		return fmt.Errorf("replies: %w", err)
	}
	for _, r := range replies {
		get(r.StepID).Replied = r.N
	}
	return nil
}

// enrollmentScope is the WHERE of message counts: the workflow's
// enrollments (alias e) started in the range.
func enrollmentScope(f StatsFilter) (string, []any) {
	cond, args := "e.workflow_id = ?", []any{f.WorkflowID}
	if f.From != nil {
		cond, args = cond+" AND e.started_at >= ?", append(args, f.From.UTC())
	}
	if f.To != nil {
		cond, args = cond+" AND e.started_at < ?", append(args, f.To.UTC())
	}
	return cond, args
}

package contacts

import "github.com/crmflow/crmflow/models"

// dndEvents raises contact_dnd_changed {"channel", "dnd"} for each channel
// whose do-not-disturb flag differs from before, in a fixed order (sms,
// then email) so the events of one change always come out the same way.
func dndEvents(c *models.Contact, before map[string]bool) []*models.Event {
	var events []*models.Event
	for _, ch := range []struct {
		name string
		now  bool
	}{{"sms", c.DNDSMS}, {"email", c.DNDEmail}} {
		if before[ch.name] != ch.now {
			events = append(events, newEvent(c, "contact_dnd_changed", map[string]any{"channel": ch.name, "dnd": ch.now}))
		}
	}
	return events
}

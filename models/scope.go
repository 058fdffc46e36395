package models

import "sort"

// TagNames returns the contact's tags, sorted.
func (c *Contact) TagNames() []string {
	out := make([]string, 0, len(c.Tags))
	for _, t := range c.Tags {
		out = append(out, t.Tag)
	}
	sort.Strings(out)
	return out
}

// Fields is the contact as templates and conditions read it: contact.<field>,
// contact.custom.<key>, contact.tags, contact.dnd.sms...
func (c *Contact) Fields() map[string]any {
	tags := make([]any, 0, len(c.Tags))
	for _, t := range c.TagNames() {
		tags = append(tags, t)
	}
	custom := map[string]any{}
	for k, v := range c.Custom {
		custom[k] = v
	}
	name := c.FirstName
	if c.LastName != "" {
		if name != "" {
			name += " "
		}
		name += c.LastName
	}
	assigned := ""
	if c.AssignedUserID != nil {
		assigned = *c.AssignedUserID
	}
	return map[string]any{
		"id":                 c.ID,
		"first_name":         c.FirstName,
		"last_name":          c.LastName,
		"name":               name,
		"full_name":          name,
		"email":              c.Email,
		"phone":              c.Phone,
		"timezone":           c.Timezone,
		"date_of_birth":      c.DateOfBirth,
		"assigned_user_id":   assigned,
		"stripe_customer_id": c.StripeCustomerID,
		"tags":               tags,
		"custom":             custom,
		"dnd":                map[string]any{"sms": c.DNDSMS, "email": c.DNDEmail},
		"created_at":         c.CreatedAt,
	}
}

// DisplayName is how people see the contact (memo, logs for humans).
func (c *Contact) DisplayName() string {
	if n, _ := c.Fields()["name"].(string); n != "" {
		return n
	}
	if c.Email != "" {
		return c.Email
	}
	return c.Phone
}

package steps

// ContactFree is an action that can run in an enrollment without a contact
// (a run started by a scheduler trigger). Every other action needs the
// contact (a phone to text, tags to change) and is skipped in such runs,
// with the reason in the execution log; flow steps always run, reading an
// empty contact.
type ContactFree interface {
	ContactFree() bool
}

// RunsWithoutContact reports whether an action can run with no contact.
func RunsWithoutContact(k Kind) bool {
	cf, ok := k.(ContactFree)
	return ok && cf.ContactFree()
}

// A webhook posts the event and the (empty) contact: useful on a schedule.
func (webhook) ContactFree() bool { return true }

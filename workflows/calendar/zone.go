package calendar

import (
	"strings"
	"sync"
	"time"

	// Workers may run on images without /usr/share/zoneinfo; an enrollment's
	// timers must not depend on that.
	_ "time/tzdata"
)

// Zone picks the location a workflow's times are read in. setting is the
// workflow's settings.timezone: "account" (or empty), "contact" (the
// contact's zone, else the account's), or an IANA name. A name that is empty
// or unknown falls back to the account zone, then to UTC: a bad zone must not
// stop an enrollment, and validation already refuses bad settings.
func Zone(setting, contactZone, accountZone string) *time.Location {
	account, ok := load(accountZone)
	if !ok {
		account = time.UTC
	}
	var name string
	switch s := strings.TrimSpace(setting); s {
	case "", "account":
		return account
	case "contact":
		name = contactZone
	default:
		name = s
	}
	if loc, ok := load(name); ok {
		return loc
	}
	return account
}

// zones caches loaded locations: the interpreter asks on every step, and
// parsing tzdata each time is wasted work. Only IANA names that loaded are
// kept, so the cache stays as small as the database.
var zones sync.Map // string -> *time.Location

func load(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	// "Local" is the worker machine's zone, which differs between workers.
	if name == "" || name == "Local" {
		return nil, false
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// Known reports whether name is an IANA zone a workflow or contact may name
// ("Local", the machine's own zone, is not one).
func Known(name string) bool {
	_, ok := load(name)
	return ok
}

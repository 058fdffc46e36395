package app

import "strings"

// LinkBaseURL is the base of the URLs crmflow hands out in messages (trigger
// links): CRMFLOW_PUBLIC_URL, or else the API's own address, which only
// works where the recipients can reach it (development, an intranet).
func (a *App) LinkBaseURL() string {
	if u := strings.TrimRight(a.Config.PublicURL, "/"); u != "" {
		return u
	}
	return "http://" + a.Config.APIAddr
}

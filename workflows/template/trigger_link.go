package template

import (
	"regexp"
	"strings"
)

var (
	// markup is a Liquid output or tag.
	markup = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)
	// linkRef is trigger_link.<id> inside markup. Link ids are UUIDs, which
	// may start with a digit, and Liquid cannot read "a.0196..." as a
	// property; trigger_link["0196..."] reads the same value.
	linkRef = regexp.MustCompile(`\btrigger_link\.([A-Za-z0-9][A-Za-z0-9_-]*)`)
)

// quoteLinkIDs rewrites {{trigger_link.<id>}}, the contract's syntax, into
// the bracket form Liquid parses whatever the id looks like. Text outside
// markup is left alone.
func quoteLinkIDs(s string) string {
	if !strings.Contains(s, "trigger_link.") {
		return s
	}
	return markup.ReplaceAllStringFunc(s, func(m string) string {
		return linkRef.ReplaceAllString(m, `trigger_link["$1"]`)
	})
}

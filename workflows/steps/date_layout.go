package steps

import (
	"strings"
)

// friendlyTokens map the date tokens builders know from Moment.js, Day.js
// and spreadsheets to Go's reference layout, longest first so "MMMM" wins
// over "MM".
var friendlyTokens = []struct{ token, layout string }{
	{"YYYY", "2006"}, {"YY", "06"},
	{"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"}, {"M", "1"},
	{"dddd", "Monday"}, {"ddd", "Mon"},
	{"DD", "02"}, {"D", "2"},
	{"HH", "15"}, {"hh", "03"}, {"h", "3"},
	{"mm", "04"}, {"m", "4"},
	{"ss", "05"}, {"s", "5"},
	{"A", "PM"}, {"a", "pm"},
	{"ZZ", "-0700"}, {"Z", "-07:00"}, {"z", "MST"},
}

// goLayout turns a format into a Go layout. A format with a digit in it
// is taken to be a Go layout already ("Jan 2, 2006 3:04 PM"); otherwise
// it is read as tokens ("MMM D, YYYY h:mm A"), with text in [brackets]
// kept as it is ("[Week of] MMM D").
func goLayout(format string) string {
	if strings.ContainsAny(format, "0123456789") {
		return format
	}
	var b strings.Builder
	rest := format
outer:
	for rest != "" {
		if rest[0] == '[' {
			if end := strings.IndexByte(rest, ']'); end > 0 {
				b.WriteString(rest[1:end])
				rest = rest[end+1:]
				continue
			}
		}
		for _, t := range friendlyTokens {
			if strings.HasPrefix(rest, t.token) {
				b.WriteString(t.layout)
				rest = rest[len(t.token):]
				continue outer
			}
		}
		b.WriteByte(rest[0])
		rest = rest[1:]
	}
	return b.String()
}

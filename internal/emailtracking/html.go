package emailtracking

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// wrapLinks replaces the href of every http(s) link (<a>, <area>) with what
// wrap returns for it; everything else is copied byte for byte, so the
// message looks the same. wrap answers false to leave a link alone.
func wrapLinks(doc string, wrap func(url string) (string, bool)) string {
	z := html.NewTokenizer(strings.NewReader(doc))
	var out strings.Builder
	out.Grow(len(doc) + len(doc)/4)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF { // the tokenizer never fails on bad HTML, only on reading
				return doc
			}
			// Text the tokenizer held back at the end (an unclosed tag) is kept as is.
			out.Write(z.Raw())
			return out.String()
		}
		raw := bytes.Clone(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.Write(raw)
			continue
		}
		tok := z.Token()
		if tok.DataAtom != atom.A && tok.DataAtom != atom.Area {
			out.Write(raw)
			continue
		}
		changed := false
		for i, at := range tok.Attr {
			if at.Namespace != "" || !strings.EqualFold(at.Key, "href") {
				continue
			}
			u := strings.TrimSpace(at.Val)
			if !isHTTP(u) {
				continue
			}
			if w, ok := wrap(u); ok {
				tok.Attr[i].Val, changed = w, true
			}
		}
		if !changed {
			out.Write(raw)
			continue
		}
		out.WriteString(tok.String())
	}
}

func isHTTP(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

var bodyEnd = regexp.MustCompile(`(?i)</body\s*>`)

// addPixel puts the 1x1 tracking image at the end of the body (before
// </body> when the document has one).
func addPixel(doc, pixelURL string) string {
	img := `<img src="` + html.EscapeString(pixelURL) + `" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`
	locs := bodyEnd.FindAllStringIndex(doc, -1)
	if len(locs) == 0 {
		return doc + img
	}
	at := locs[len(locs)-1][0]
	return doc[:at] + img + doc[at:]
}

// blocks are the tags that start a new paragraph in the plain-text part.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Ul: true, atom.Ol: true, atom.Table: true, atom.Blockquote: true, atom.Section: true,
	atom.Article: true, atom.Header: true, atom.Footer: true, atom.Pre: true, atom.Hr: true, atom.Center: true,
}

// lines are the tags that start a new line.
var lines = map[atom.Atom]bool{atom.Li: true, atom.Tr: true, atom.Dt: true, atom.Dd: true}

// hidden are the tags whose content is never read as text.
var hidden = map[atom.Atom]bool{atom.Head: true, atom.Title: true, atom.Style: true, atom.Script: true, atom.Template: true}

// PlainText derives the text/plain part of an email from its HTML, for
// clients (and spam filters) that want one: paragraphs and line breaks are
// kept, list items get a dash, and links read "text (url)".
func PlainText(doc string) string {
	z := html.NewTokenizer(strings.NewReader(doc))
	var w textWriter
	skip := 0
	var hrefs []string // of the open <a> tags
	var linkText []int // w.b.Len() where each open <a> started
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if skip == 0 {
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			a := tok.DataAtom
			switch {
			case hidden[a]:
				if tt == html.StartTagToken {
					skip++
				}
			case a == atom.Br:
				w.newline(1)
			case blocks[a]:
				w.newline(2)
			case lines[a]:
				w.newline(1)
				if a == atom.Li {
					w.raw("- ")
				}
			case a == atom.A && tt == html.StartTagToken:
				href := ""
				for _, at := range tok.Attr {
					if strings.EqualFold(at.Key, "href") {
						href = strings.TrimSpace(at.Val)
					}
				}
				hrefs, linkText = append(hrefs, href), append(linkText, w.b.Len())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case hidden[a]:
				if skip > 0 {
					skip--
				}
			case blocks[a]:
				w.newline(2)
			case a == atom.A && len(hrefs) > 0:
				href, start := hrefs[len(hrefs)-1], linkText[len(linkText)-1]
				hrefs, linkText = hrefs[:len(hrefs)-1], linkText[:len(linkText)-1]
				text := strings.TrimSpace(w.b.String()[min(start, w.b.Len()):])
				if href != "" && !strings.HasPrefix(href, "#") && text != href && text != strings.TrimPrefix(href, "mailto:") {
					if text == "" {
						w.text(href)
					} else {
						w.text(" (" + href + ")")
					}
				}
			}
		}
	}
}

// textWriter collapses HTML whitespace the way a browser does and keeps
// the line breaks that tags ask for.
type textWriter struct {
	b        strings.Builder
	space    bool // a space is due before the next word
	newlines int  // newlines due before the next word
}

func (w *textWriter) text(s string) {
	if s == "" {
		return
	}
	if r, _ := utf8.DecodeRuneInString(s); isSpace(r) {
		w.space = true
	}
	words := strings.FieldsFunc(s, isSpace)
	for i, f := range words {
		if i > 0 {
			w.space = true
		}
		w.flush()
		w.b.WriteString(f)
	}
	if r, _ := utf8.DecodeLastRuneInString(s); len(words) > 0 && isSpace(r) {
		w.space = true
	}
}

// isSpace is HTML's whitespace plus the no-break space, which mail clients
// render as a space.
func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func (w *textWriter) raw(s string) {
	w.flush()
	w.b.WriteString(s)
}

func (w *textWriter) newline(n int) {
	if w.b.Len() == 0 {
		return
	}
	w.newlines = max(w.newlines, n)
	w.space = false
}

func (w *textWriter) flush() {
	switch {
	case w.newlines > 0:
		w.b.WriteString(strings.Repeat("\n", w.newlines))
	case w.space && w.b.Len() > 0:
		w.b.WriteByte(' ')
	}
	w.newlines, w.space = 0, false
}

func (w *textWriter) String() string { return strings.TrimSpace(w.b.String()) }

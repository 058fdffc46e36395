package template

import (
	"regexp"
	"strings"

	"github.com/osteele/liquid/render"
)

// variable is one token of a Liquid expression that matters to Reads: a
// string literal (skipped, so "steps.x" in quotes reads nothing) or a
// variable with its properties (steps.s1.body, steps["s1"], x.steps.y).
var variable = regexp.MustCompile(`"[^"]*"|'[^']*'|` +
	`([A-Za-z_][\w-]*\??)((?:\s*\.\s*[\w-]+\??|\s*\[\s*(?:"[^"]*"|'[^']*'|[^\]]*)\s*\])*)`)

// firstProperty is the first .name or ["name"] of a variable's properties.
var firstProperty = regexp.MustCompile(`^\s*(?:\.\s*([\w-]+)|\[\s*(?:"([^"]*)"|'([^']*)')\s*\])`)

// Reads lists the properties of root that the template s reads, once each
// in order of appearance: for root "steps", {{steps.s1.body | upcase}},
// {% if steps.s2.ok %} and {{ x | default: steps["s3"].id }} read s1, s2
// and s3. It walks the parsed template, so text outside markup, raw blocks,
// comments and string literals read nothing; a property named by a
// variable (steps[id]) is not known before the run and is left out. A plain
// string, or one that does not parse (a fault already), reads nothing.
func Reads(s, root string) []string {
	if !IsTemplate(s) {
		return nil
	}
	t, err := parse(s)
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	walk(t.GetRoot(), func(expr string) {
		for _, m := range variable.FindAllStringSubmatch(expr, -1) {
			if m[1] != root {
				continue // a literal, or another variable
			}
			p := firstProperty.FindStringSubmatch(m[2])
			if p == nil {
				continue
			}
			name := p[1] + p[2] + p[3]
			if name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	})
	return out
}

// walk calls fn with the expression text of every output and tag under n.
func walk(n render.Node, fn func(expr string)) {
	switch n := n.(type) {
	case *render.SeqNode:
		for _, c := range n.Children {
			walk(c, fn)
		}
	case *render.ObjectNode:
		fn(n.Args)
	case *render.TagNode:
		fn(tagArgs(n.Name, n.Args))
	case *render.BlockNode:
		fn(tagArgs(n.Name, n.Args))
		for _, c := range n.Body {
			walk(c, fn)
		}
		for _, c := range n.Clauses {
			walk(c, fn)
		}
	}
}

// tagArgs is the part of a tag's arguments that holds expressions: in
// {% for x in steps.s1.items %} and {% assign x = steps.s1.y %} the name
// before "in" or "=" is the tag's own variable, not a read.
func tagArgs(name, args string) string {
	switch name {
	case "for", "tablerow":
		if _, after, ok := strings.Cut(args, " in "); ok {
			return after
		}
	case "assign":
		if _, after, ok := strings.Cut(args, "="); ok {
			return after
		}
	case "capture":
		return ""
	}
	return args
}

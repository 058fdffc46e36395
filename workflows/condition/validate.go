package condition

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/crmflow/crmflow/workflows/validation"
)

// Validate checks a tree's shape, operators and values, naming each fault by
// path. An empty tree ({} or null) is a fault: where a tree is optional
// (filters), leave Empty ones out (they mean no filter) before calling it.
func Validate(p *validation.Problems, n *Node) {
	validate(p, n, 1)
}

// MaxDepth is how deeply groups may nest. Deeper trees are refused: no
// rule needs them, and many JSON clients (jq among them) fail to read a
// document that nests much deeper, so one such workflow would break
// listing them all.
const MaxDepth = 32

func validate(p *validation.Problems, n *Node, depth int) {
	if depth > MaxDepth {
		p.Here("conditions nest more than %d groups deep: flatten the tree (all/any take lists)", MaxDepth)
		return
	}
	if Empty(n) {
		p.Here(`is empty: write a condition, a leaf {"field", "op", "value"} or a group {"all": [...]}, {"any": [...]} or {"not": {...}}`)
		return
	}
	groups := 0
	if n.All != nil {
		groups++
	}
	if n.Any != nil {
		groups++
	}
	if n.Not != nil {
		groups++
	}
	leaf := n.Field != "" || n.Op != ""
	switch {
	case groups > 1 || (groups == 1 && leaf):
		p.Here("a condition is either a group (all, any or not) or a leaf (field, op, value), not both")
		return
	case n.All != nil:
		validateList(p.At("all"), n.All, depth)
	case n.Any != nil:
		validateList(p.At("any"), n.Any, depth)
	case n.Not != nil:
		validate(p.At("not"), n.Not, depth+1)
	default:
		validateLeaf(p, n)
	}
}

func validateList(p *validation.Problems, list []*Node, depth int) {
	if len(list) == 0 {
		p.Here("a group needs at least one condition")
	}
	for i, c := range list {
		validate(p.At(fmt.Sprintf("[%d]", i)), c, depth+1)
	}
}

var fieldRoots = []string{"contact.", "event.", "steps.", "now.", "custom_values.", "account."}

func validateLeaf(p *validation.Problems, n *Node) {
	op, known := operators[n.Op]
	if n.Field == "" && n.Op != "has_tag" && n.Op != "not_has_tag" {
		p.Add("field", "field is required")
	} else if n.Field != "" && !hasRoot(n.Field) {
		p.Add("field", "unknown field %q: fields start with contact., event., steps., now. or custom_values.", n.Field)
	}
	if n.Op == "" {
		p.Add("op", "op is required")
		return
	}
	if !known {
		p.Add("op", "unknown operator %q (one of %s)", n.Op, strings.Join(OperatorNames(), ", "))
		return
	}
	if err := op.check(n.Value); err != nil {
		p.Add("value", "%s", err.Error())
		return
	}
	if strings.HasPrefix(n.Field, "now.") {
		validateNow(p, n)
	}
}

func hasRoot(field string) bool {
	if field == "contact.tags" {
		return true
	}
	for _, r := range fieldRoots {
		if strings.HasPrefix(field, r) && len(field) > len(r) {
			return true
		}
	}
	return false
}

func needScalar(v any) error {
	switch v.(type) {
	case nil:
		return fmt.Errorf("value is required for this operator")
	case []any, map[string]any:
		return fmt.Errorf("value must be a single string, number or boolean")
	}
	return nil
}

func needNone(any) error { return nil }

func needList(v any) error {
	if _, ok := v.([]any); !ok {
		return fmt.Errorf("value must be a list")
	}
	return nil
}

func needPair(v any) error {
	l, ok := v.([]any)
	if !ok || len(l) != 2 {
		return fmt.Errorf("value must be a list of two bounds [low, high]")
	}
	return nil
}

func needRegexp(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("value must be a regular expression string")
	}
	if _, err := regexp.Compile(s); err != nil {
		return fmt.Errorf("value is not a valid regular expression: %v", err)
	}
	return nil
}

func needDate(v any) error {
	if err := needScalar(v); err != nil {
		return err
	}
	if _, ok := toTime(v); !ok {
		return fmt.Errorf("value must be a date or time (2024-05-01 or RFC 3339)")
	}
	return nil
}

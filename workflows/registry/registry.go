// Package registry is the small typed registry behind step and trigger
// types: each type's file adds itself, and lookups never grow a switch.
package registry

import (
	"fmt"
	"sort"
)

// Kind is anything registered by its type name.
type Kind interface{ Type() string }

// Registry maps type names to kinds.
type Registry[K Kind] struct {
	what  string
	kinds map[string]K
}

// New returns an empty registry; what names its kinds in panics ("step").
func New[K Kind](what string) *Registry[K] {
	return &Registry[K]{what: what, kinds: map[string]K{}}
}

// Add registers a kind; a duplicate type is a programming error.
func (r *Registry[K]) Add(k K) {
	if _, dup := r.kinds[k.Type()]; dup {
		panic(fmt.Sprintf("duplicate %s type %q", r.what, k.Type()))
	}
	r.kinds[k.Type()] = k
}

// Lookup returns the kind of a type name.
func (r *Registry[K]) Lookup(typ string) (K, bool) {
	k, ok := r.kinds[typ]
	return k, ok
}

// Types lists the registered type names, sorted.
func (r *Registry[K]) Types() []string {
	out := make([]string, 0, len(r.kinds))
	for t := range r.kinds {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

package script

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func run(t *testing.T, code string, inputs map[string]string, lim Limits) (map[string]any, *Error) {
	t.Helper()
	out, err := Run(context.Background(), code, inputs, lim)
	if err == nil {
		return out, nil
	}
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a script.Error", err)
	}
	return nil, se
}

func TestOutputs(t *testing.T) {
	out, err := run(t, "return {a: inputs.x + '!', when: new Date(0), n: [1, 2]}", map[string]string{"x": "hi"}, DefaultLimits)
	if err != nil || out["a"] != "hi!" || out["when"] != "1970-01-01T00:00:00.000Z" || len(out["n"].([]any)) != 2 {
		t.Errorf("out = %v, %v", out, err)
	}
	if out, err := run(t, "let unused = 1;", nil, DefaultLimits); err != nil || len(out) != 0 {
		t.Errorf("nothing returned = %v, %v; want {}", out, err)
	}
	if out, err := run(t, "return (async () => ({v: 2}))()", nil, DefaultLimits); err != nil || out["v"] != 2.0 {
		t.Errorf("async = %v, %v", out, err)
	}
	for code, want := range map[string]string{"return 3": "not a number", "return [1]": "not an array", "return () => 1": "not a function"} {
		if _, err := run(t, code, nil, DefaultLimits); err == nil || err.Kind != "output" || !strings.Contains(err.Message, want) {
			t.Errorf("%s: %v, want an output error with %q", code, err, want)
		}
	}
	if _, err := run(t, "return {s: 'x'.repeat(100000)}", nil, DefaultLimits); err == nil || !strings.Contains(err.Message, "more than") {
		t.Errorf("a huge output: %v, want refused", err)
	}
}

func TestExceptionsCarryTheMessageAndLine(t *testing.T) {
	_, err := run(t, "const a = 1;\n\nthrow new Error('no plan for ' + inputs.who);", map[string]string{"who": "Ada"}, DefaultLimits)
	if err == nil || err.Kind != "exception" || err.Line != 3 || err.Error() != "Error: no plan for Ada (line 3)" {
		t.Errorf("thrown error = %#v", err)
	}
	_, err = run(t, "return (async () => { throw new TypeError('late') })()", nil, DefaultLimits)
	if err == nil || !strings.Contains(err.Message, "TypeError: late") {
		t.Errorf("rejected promise = %v", err)
	}
	_, err = run(t, "function f(){ return f() }\nreturn f()", nil, DefaultLimits)
	if err == nil || err.Kind != "exception" {
		t.Errorf("endless recursion = %v, want an exception, not a crash", err)
	}
	_, err = run(t, "return {a: 1", nil, DefaultLimits)
	if err == nil || err.Kind != "syntax" || err.Line != 1 || !strings.HasPrefix(err.Message, "SyntaxError: ") {
		t.Errorf("syntax error = %#v", err)
	}
}

func TestNoWayOut(t *testing.T) {
	// Nothing of the host is reachable: no module loader, no network, no
	// timers, no process, no console.
	for _, name := range []string{"require", "fetch", "XMLHttpRequest", "setTimeout", "process", "console", "Deno", "Bun", "module", "global"} {
		out, err := run(t, "return {t: typeof "+name+"}", nil, DefaultLimits)
		if err != nil || out["t"] != "undefined" {
			t.Errorf("typeof %s = %v, %v; want undefined", name, out, err)
		}
	}
	_, err := run(t, "const fs = require('fs'); return {}", nil, DefaultLimits)
	if err == nil || !strings.Contains(err.Message, "ReferenceError: require is not defined") {
		t.Errorf("require = %v, want a ReferenceError", err)
	}
	_, err = run(t, "return fetch('http://127.0.0.1/')", nil, DefaultLimits)
	if err == nil || !strings.Contains(err.Message, "ReferenceError: fetch is not defined") {
		t.Errorf("fetch = %v, want a ReferenceError", err)
	}
}

func TestTimeLimitStopsEndlessLoops(t *testing.T) {
	lim := DefaultLimits
	lim.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := run(t, "while (true) {}", nil, lim)
	if err == nil || err.Kind != "timeout" || !strings.Contains(err.Message, "longer than 200ms") {
		t.Errorf("endless loop = %v, want the time limit", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping took %v", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, gerr := Run(ctx, "for (;;) {}", nil, DefaultLimits)
	var se *Error
	if !errors.As(gerr, &se) || se.Kind != "cancelled" {
		t.Errorf("cancelled run = %v", gerr)
	}
}

func TestMemoryGuardStopsRunawayAllocation(t *testing.T) {
	lim := DefaultLimits
	lim.MaxHeapGrowth = 32 << 20
	lim.Timeout = 20 * time.Second
	_, err := run(t, "const keep = []; for (;;) { keep.push('x'.repeat(1 << 20) + keep.length) }", nil, lim)
	if err == nil || err.Kind != "memory" {
		t.Errorf("runaway allocation = %v, want the memory guard", err)
	}
}

func TestCodeSizeIsCapped(t *testing.T) {
	if _, err := Compile(strings.Repeat(" ", DefaultLimits.MaxCodeLen+1), DefaultLimits); err == nil {
		t.Error("oversized code compiled")
	}
}

// Package script runs builders' JavaScript (custom_code steps) in a goja
// sandbox: the code sees only its inputs and the language's own built-ins
// (no require, no fetch, no timers, no file, network or process access,
// since goja provides none and nothing is added), runs under a time limit
// and a memory guard, and hands back a JSON object.
package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// Limits bound one run.
type Limits struct {
	Timeout time.Duration
	// MaxOutput caps the returned object, as JSON.
	MaxOutput int
	// MaxHeapGrowth is how much the process's live heap may grow while the
	// script runs; past it the script is stopped. goja cannot count one
	// script's allocations, so this guard watches the whole process: it
	// stops runaway allocation, not a careful budget.
	MaxHeapGrowth uint64
	// MaxCodeLen caps the source.
	MaxCodeLen int
}

// DefaultLimits are custom_code's.
var DefaultLimits = Limits{Timeout: 2 * time.Second, MaxOutput: 64 << 10, MaxHeapGrowth: 256 << 20, MaxCodeLen: 64 << 10}

// sourceName names the code in messages: "custom_code:3:7".
const sourceName = "custom_code"

var (
	syntaxPosition = regexp.MustCompile(`^(?:` + sourceName + `: )?Line (\d+):(\d+) (.*)$`)
	moreErrors     = regexp.MustCompile(`\s*\(and \d+ more errors?\)$`)
)

// The code runs as the body of a function, so it may `return {...}`;
// assigning `output = {...}` works too. Everything sits on the code's
// first line, so line numbers in messages are the builder's own.
const (
	prefix = "(function(inputs){var output;return(function(r){return r===undefined?output:r;})((function(){"
	suffix = "\n})());})"
)

// Error is a script that could not run or did not finish: a syntax error,
// an exception, the time limit, the memory guard, or an output that is not
// an object. Line is the builder's line when known.
type Error struct {
	Kind    string // syntax, exception, timeout, memory, output, cancelled
	Message string
	Line    int
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d)", e.Message, e.Line)
	}
	return e.Message
}

// Compile checks the code's syntax.
func Compile(code string, lim Limits) (*goja.Program, error) {
	if lim.MaxCodeLen > 0 && len(code) > lim.MaxCodeLen {
		return nil, &Error{Kind: "syntax", Message: fmt.Sprintf("the code is %d bytes, more than %d", len(code), lim.MaxCodeLen)}
	}
	prog, err := goja.Compile(sourceName, prefix+code+suffix, false)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) {
			// goja says "custom_code: Line 2:9 Unexpected token ; (and 6 more errors)".
			msg, line := se.Message, 0
			if m := syntaxPosition.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = m[3]
			}
			msg = strings.TrimSuffix(strings.TrimSpace(moreErrors.ReplaceAllString(msg, "")), ":")
			if lines := strings.Count(code, "\n") + 1; line > lines {
				// The fault is in our wrapper's closing: the code ended early.
				line, msg = lines, "the code ends early (a bracket, brace or quote is not closed)"
			}
			return nil, &Error{Kind: "syntax", Message: "SyntaxError: " + msg, Line: line}
		}
		return nil, &Error{Kind: "syntax", Message: err.Error()}
	}
	return prog, nil
}

// Run runs code with inputs (the global `inputs`) and returns the object
// it returned (or put in `output`); nothing returned is an empty object.
func Run(ctx context.Context, code string, inputs map[string]string, lim Limits) (map[string]any, error) {
	prog, err := Compile(code, lim)
	if err != nil {
		return nil, err
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(1000) // deep recursion fails as a RangeError, not a crashed worker
	in := vm.NewObject()
	for k, v := range inputs {
		if err := in.Set(k, v); err != nil {
			return nil, fmt.Errorf("passing input %s: %w", k, err)
		}
	}
	stop := guard(ctx, vm, lim)
	defer stop()
	fn, err := vm.RunProgram(prog)
	if err != nil {
		return nil, runError(err)
	}
	call, ok := goja.AssertFunction(fn)
	if !ok {
		return nil, &Error{Kind: "exception", Message: "the code did not compile to a function"}
	}
	res, err := call(goja.Undefined(), in)
	if err != nil {
		return nil, runError(err)
	}
	if p, ok := res.Export().(*goja.Promise); ok {
		// An async body: with no timers or I/O, its promise has settled
		// by the time the job queue ran, or it never will.
		switch p.State() {
		case goja.PromiseStateFulfilled:
			res = p.Result()
		case goja.PromiseStateRejected:
			return nil, &Error{Kind: "exception", Message: "Uncaught (in promise) " + p.Result().String()}
		default:
			return nil, &Error{Kind: "exception", Message: "the code awaits something that never finishes (there are no timers or network here)"}
		}
	}
	return output(vm, res, lim)
}

// output turns the returned value into a JSON object through the VM's own
// JSON.stringify, so dates and the like become what JavaScript makes of them.
func output(vm *goja.Runtime, res goja.Value, lim Limits) (map[string]any, error) {
	if res == nil || goja.IsUndefined(res) || goja.IsNull(res) {
		return map[string]any{}, nil
	}
	stringify, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("stringify"))
	js, err := stringify(goja.Undefined(), res)
	if err != nil {
		return nil, runError(err)
	}
	if goja.IsUndefined(js) {
		return nil, &Error{Kind: "output", Message: "the code must return an object, not a function or a symbol"}
	}
	text := js.String()
	if lim.MaxOutput > 0 && len(text) > lim.MaxOutput {
		return nil, &Error{Kind: "output", Message: fmt.Sprintf("the returned object is %d bytes as JSON, more than %d", len(text), lim.MaxOutput)}
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, &Error{Kind: "output", Message: fmt.Sprintf("the returned value is not JSON: %v", err)}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Kind: "output", Message: fmt.Sprintf("the code must return an object like {\"score\": 3}, not %s", strings.TrimSpace(jsonKind(v)))}
	}
	return obj, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// runError describes an exception or an interruption with the builder's line.
func runError(err error) error {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		if e, ok := intr.Value().(*Error); ok {
			return e
		}
		return &Error{Kind: "timeout", Message: fmt.Sprint(intr.Value())}
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		msg := ex.Value().String()
		if o, ok := ex.Value().(*goja.Object); ok {
			msg = o.String() // "TypeError: x is not a function"
		}
		line := 0
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Filename == sourceName && p.Line > 0 {
				line = p.Line
				break
			}
		}
		return &Error{Kind: "exception", Message: msg, Line: line}
	}
	return &Error{Kind: "exception", Message: err.Error()}
}

// guard interrupts the VM at the time limit, when ctx ends (the activity
// is cancelled), and when the heap balloons; stop ends the watch.
func guard(ctx context.Context, vm *goja.Runtime, lim Limits) (stop func()) {
	done := make(chan struct{})
	go func() {
		timeout := time.NewTimer(lim.Timeout)
		defer timeout.Stop()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		base := heapLive()
		next := heapObjects() + lim.MaxHeapGrowth
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				vm.Interrupt(&Error{Kind: "cancelled", Message: "the step was cancelled while the code ran"})
				return
			case <-timeout.C:
				vm.Interrupt(&Error{Kind: "timeout", Message: fmt.Sprintf("the code ran longer than %v and was stopped", lim.Timeout)})
				return
			case <-tick.C:
				if lim.MaxHeapGrowth == 0 || heapObjects() < next {
					continue
				}
				// Much of it may be garbage: collect, then judge what
				// lives; look again only after as much more allocation.
				runtime.GC()
				if heapLive() > base+lim.MaxHeapGrowth {
					vm.Interrupt(&Error{Kind: "memory", Message: fmt.Sprintf("the code used more than %d MiB of memory and was stopped", lim.MaxHeapGrowth>>20)})
					return
				}
				next = heapObjects() + lim.MaxHeapGrowth
			}
		}
	}()
	return func() { close(done) }
}

func heapObjects() uint64 { return readMetric("/memory/classes/heap/objects:bytes") }

func heapLive() uint64 { return readMetric("/gc/heap/live:bytes") }

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

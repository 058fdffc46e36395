package steps

import "fmt"

// Failure is a step failure that no retry can fix: the same config and the
// same data would fail the same way (dividing by zero, text that is not a
// date, a script that throws). The activity turns it into a non-retryable
// error, so the step fails at once with this message.
type Failure struct{ Err error }

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// fail builds a Failure.
func fail(format string, args ...any) error {
	return &Failure{Err: fmt.Errorf(format, args...)}
}

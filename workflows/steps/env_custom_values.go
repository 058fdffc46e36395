package steps

import "context"

// CustomValuesEnv changes the account's custom values ({{custom_values.<key>}}).
type CustomValuesEnv interface {
	// SetCustomValue writes a value, creating the key if the account lacks
	// it; writing the same value again changes nothing.
	SetCustomValue(ctx context.Context, call *Call, key, value string) error
}

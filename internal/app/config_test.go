package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmflow/crmflow/internal/config"
)

// Settings that cannot work stop crmflow dev before its Temporal server
// starts (nothing is created, no port taken).
func TestDevRefusesBadSettingsBeforeStarting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := StartDev(context.Background(), DevOptions{DataDir: dir, APIAddr: "127.0.0.1:0", Ephemeral: true,
		Config: config.Config{TwilioAuthToken: "token-without-sid", LogFormat: "text"}})
	if err == nil || !strings.Contains(err.Error(), "TWILIO_ACCOUNT_SID") {
		t.Fatalf("err = %v", err)
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Errorf("the data dir was created: %v", statErr)
	}
}

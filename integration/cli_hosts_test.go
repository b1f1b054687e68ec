package integration

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// TestCLIRecordHostAllowList: by default the recorder keeps the hosts the
// checks name; --record-host replaces that with an explicit allow-list, so
// traffic to any other host never lands in the cassette.
func TestCLIRecordHostAllowList(t *testing.T) {
	dir := t.TempDir()
	checksPath := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(shopChecks), 0o644))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: shopAPI(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	upstream := "localhost:9100=" + ln.Addr().String()

	tests := []struct {
		name  string
		args  []string
		wantN int
	}{
		{name: "hosts the checks name", wantN: 5},
		{name: "explicit allow-list without the API", args: []string{"--record-host", "localhost:9999"}, wantN: 0},
		{name: "explicit allow-list with the API", args: []string{"--record-host", "localhost:9100"}, wantN: 5},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cas := filepath.Join(dir, "c", string(rune('a'+i))+".yaml")
			args := append([]string{"record", "--checks", checksPath, "--cassette", cas, "--upstream", upstream}, tc.args...)
			r := corsvcr(t, args...)
			require.Equal(t, 0, r.code, r.stdout+r.stderr)
			got, err := cassettes.Load(cas)
			require.NoError(t, err)
			// list-products, the add-to-cart preflight and POST, the
			// delete-cart preflight, admin-from-shop.
			assert.Len(t, got.Interactions, tc.wantN)
		})
	}
}

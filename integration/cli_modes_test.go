package integration

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// TestCLIRecordMissing: --mode record-missing replays what the cassette
// holds, sends only the misses to the live server, appends what it
// recorded, and afterwards the whole check file replays offline.
func TestCLIRecordMissing(t *testing.T) {
	dir := t.TempDir()
	// The first two checks only: list-products and add-to-cart.
	partial := shopChecks[:strings.Index(shopChecks, "  - name: delete-cart")]
	partialPath := filepath.Join(dir, "partial.yaml")
	fullPath := filepath.Join(dir, "full.yaml")
	require.NoError(t, os.WriteFile(partialPath, []byte(partial), 0o644))
	require.NoError(t, os.WriteFile(fullPath, []byte(shopChecks), 0o644))
	cas := filepath.Join(dir, "shop.yaml")

	var live atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	api := shopAPI()
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live.Add(1)
		api.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	upstream := "localhost:9100=" + ln.Addr().String()

	r := corsvcr(t, "record", "--checks", partialPath, "--cassette", cas, "--upstream", upstream)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	before, err := cassettes.Load(cas)
	require.NoError(t, err)
	require.Len(t, before.Interactions, 3, "list-products, add-to-cart preflight and POST")
	live.Store(0)

	r = corsvcr(t, "check", "--checks", fullPath, "--cassette", cas, "--mode", "record-missing", "--upstream", upstream)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Equal(t, int32(2), live.Load(), "only the misses reach the server: the delete-cart preflight and admin-from-shop")
	after, err := cassettes.Load(cas)
	require.NoError(t, err)
	require.Len(t, after.Interactions, 5)
	assert.Equal(t, before.Interactions, after.Interactions[:3], "recorded interactions kept as they were")

	srv.Close()
	r = corsvcr(t, "check", "--checks", fullPath, "--cassette", cas, "--strict")
	assert.Equal(t, 0, r.code, "the completed cassette replays offline: "+r.stdout+r.stderr)
}

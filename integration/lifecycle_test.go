package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/faulttest"
)

// manyChecks is a check file of n checks, each a GET of its own URL.
func manyChecks(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\npage: http://localhost:5173\nchecks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: c%03d\n    request: {url: \"http://localhost:9100/products?n=%d\"}\n    expect: {allowed: true, status: 200}\n", i, i)
	}
	return b.String()
}

// lineWatcher is an io.Writer that keeps what is written and closes a
// channel when a line containing want has been written.
type lineWatcher struct {
	want string
	seen chan struct{}

	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
}

func newLineWatcher(want string) *lineWatcher {
	return &lineWatcher{want: want, seen: make(chan struct{})}
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestCLIRecordMissingInterrupted: SIGINT in the middle of `check --mode
// record-missing` keeps what the run appended: the cassette afterwards is
// the old interactions followed by the ones recorded completely before the
// interruption, valid and loadable; the run says so and exits 1.
func TestCLIRecordMissingInterrupted(t *testing.T) {
	dir := t.TempDir()
	_, cas, _ := recordShop(t, dir)
	before, err := cassettes.Load(cas)
	require.NoError(t, err)
	checksPath := filepath.Join(dir, "many.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(manyChecks(80)), 0o644))

	// The server says when a few misses have reached it: the run is then
	// in the middle of its checks.
	addr, started, hits := countingShop(t, 5)
	p := startCLI(t, false, "", "check", "--checks", checksPath, "--cassette", cas,
		"--mode", "record-missing", "--upstream", "localhost:9100="+addr)
	p.waitFor(t, started, "the checks reached the server")
	p.interrupt(t, false)
	werr := p.wait(t, 60*time.Second, "on SIGINT")
	out, errOut := &p.out, p.errOut
	var ee *exec.ExitError
	require.ErrorAs(t, werr, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Regexp(t, `interrupted: \d+ of 80 checks did not run`, out.String())
	assert.Regexp(t, `appended \d+ recorded interactions? to .*, every one complete; the run was interrupted \(\d+ checks? did not run\)`, errOut.String())

	after, err := cassettes.Load(cas)
	require.NoError(t, err, "the cassette stays valid")
	require.Greater(t, len(after.Interactions), len(before.Interactions), "the recorded misses are appended")
	assert.Equal(t, before.Interactions, after.Interactions[:len(before.Interactions)], "the old interactions come first, unchanged")
	added := after.Interactions[len(before.Interactions):]
	assert.LessOrEqual(t, len(added), int(hits.Load()), "no more than the server answered")
	for _, in := range added {
		assert.Contains(t, in.Request.URL, "http://localhost:9100/products?n=")
		assert.Equal(t, 200, in.Response.Status, in.Request.URL)
		assert.True(t, json.Valid(in.Response.Body), "complete body of %s: %q", in.Request.URL, in.Response.Body)
	}
	var appended int
	fmt.Sscanf(errOut.String()[strings.Index(errOut.String(), "appended "):], "appended %d", &appended)
	assert.Equal(t, len(added), appended, "the message counts what was appended")

	// A rerun replays what was appended and records the rest.
	r := corsvcr(t, "check", "--checks", checksPath, "--cassette", cas, "--mode", "record-missing", "--json",
		"--upstream", "localhost:9100="+addr)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	full, err := cassettes.Load(cas)
	require.NoError(t, err)
	assert.Len(t, full.Interactions, len(before.Interactions)+80)
}

// TestCLIAbortOnSecondInterrupt: stuck on an origin that never answers, a
// first SIGINT makes corsvcr finish up (saying a second one aborts), and a
// second makes it exit at once with 130, with no Chrome process and no
// Chrome profile left behind.
func TestCLIAbortOnSecondInterrupt(t *testing.T) {
	dir := t.TempDir()
	checksPath := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(manyChecks(3)), 0o644))
	arrived := make(chan struct{}, 1)
	origin := faulttest.Origin(t, func(c *net.TCPConn, done <-chan struct{}) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-done // never answers
	})

	// A long check timeout: the recorder waits up to four fifths of it
	// for the origin, longer than the test waits.
	p := startCLI(t, false, "interrupted: finishing up (Ctrl-C again to abort now)", "record", "--checks", checksPath,
		"--cassette", filepath.Join(dir, "never.yaml"), "--timeout", "2m", "--upstream", "localhost:9100="+origin)
	p.waitFor(t, arrived, "its request reached the origin")
	chrome := fmt.Sprintf("corsvcr-chrome-%d-", p.cmd.Process.Pid)
	require.NotEmpty(t, chromeProcesses(chrome), "Chrome runs")

	p.interrupt(t, false)
	select {
	case <-p.errOut.seen:
	case err := <-p.done:
		t.Fatalf("corsvcr ended on the first SIGINT, before it was stuck: %v\n%s%s", err, p.out.String(), p.errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no message on the first SIGINT: %s", p.errOut.String())
	}
	p.interrupt(t, false)
	werr := p.wait(t, 15*time.Second, "on the second SIGINT")
	var ee *exec.ExitError
	require.ErrorAs(t, werr, &ee)
	assert.Equal(t, 130, ee.ExitCode())
	assert.Empty(t, chromeProcesses(chrome), "no Chrome process left")
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), chrome+"*"))
	assert.Empty(t, left, "no Chrome profile left")
	_, err := os.Stat(filepath.Join(dir, "never.yaml"))
	assert.True(t, os.IsNotExist(err), "no cassette written: %v", err)
}

// chromeProcesses returns the live processes (zombies excluded) whose
// command line contains marker, a part of a Chrome profile path.
func chromeProcesses(marker string) []string {
	var out []string
	for pid, cmd := range ourProcesses("TMPDIR=" + os.Getenv("TMPDIR")) {
		if strings.Contains(cmd, marker) && !zombie(pid) {
			out = append(out, cmd)
		}
	}
	return out
}

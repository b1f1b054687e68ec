// Package integration holds corsvcr's end-to-end tests: real headless Chrome
// against live servers through the recording proxy, then against the replay
// of what was recorded, plus the CLI built from cmd/corsvcr.
package integration

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/internal/sampleapi"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// corsvcrBin is the CLI built once for the package.
var corsvcrBin string

// harnessDir is the package's private directory (removed when the tests
// end): the CLI, other programs the tests build, and TMPDIR.
var harnessDir string

func TestMain(m *testing.M) {
	if os.Getenv(subreaperHelperEnv) != "" {
		os.Exit(subreaperHelper())
	}
	flag.Parse()
	if _, err := browsercheck.FindChrome(); err != nil {
		// A missing browser is a failure, never a skip: `make test`
		// installs one.
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "corsvcr-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	harnessDir = dir
	// A private TMPDIR marks every process and temp dir this run starts.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", tmp)
	corsvcrBin = filepath.Join(dir, "corsvcr")
	build := exec.Command("go", "build", "-o", corsvcrBin, "../cmd/corsvcr")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: build corsvcr:", err)
	} else {
		code = m.Run()
	}
	if leaked := leakedProcesses("TMPDIR="+tmp, time.Now().Add(5*time.Second)); len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "integration: processes left behind: %v\n", leaked)
		code = 1
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		fmt.Fprintf(os.Stderr, "integration: temp files left behind in %s: %v\n", tmp, names)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// ourProcesses lists the processes (pid → command line) other than this
// one whose environment carries marker: Chrome inherits TMPDIR from the
// harness, so every Chrome process a test started carries this run's
// private TMPDIR.
func ourProcesses(marker string) map[int]string {
	procs := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, []byte(marker)) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		procs[pid] = strings.ReplaceAll(string(cmd), "\x00", " ")
	}
	return procs
}

// leakedProcesses waits up to the deadline for each process carrying marker
// to exit — on its pidfd, not by polling — and returns those still running.
func leakedProcesses(marker string, deadline time.Time) []string {
	var leaked []string
	for pid, cmd := range ourProcesses(marker) {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // already gone
		}
		ms := max(int(time.Until(deadline).Milliseconds()), 0)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		unix.Close(fd)
		if (err != nil || n == 0) && !zombie(pid) {
			leaked = append(leaked, fmt.Sprintf("%d %s", pid, cmd))
		}
	}
	return leaked
}

func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(rest, "Z")
}

// startSampleAPI serves the sample API on an ephemeral loopback port and
// returns the upstream mapping for its hosts. It stops when the test ends,
// or earlier through the returned func.
func startSampleAPI(t *testing.T) (map[string]string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: sampleapi.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() { srv.Close() }
	t.Cleanup(stop)
	ups := map[string]string{}
	for _, h := range sampleapi.Hosts {
		ups[h] = ln.Addr().String()
	}
	return ups, stop
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

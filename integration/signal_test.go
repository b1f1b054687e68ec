package integration

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// countingShop serves shopAPI on loopback, counting the requests that
// reach it, and closes started once n have: a run is then in the middle of
// its checks. It returns the address.
func countingShop(t *testing.T, n int32) (addr string, started <-chan struct{}, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	ch := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	api := shopAPI()
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == n {
			close(ch)
		}
		api.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), ch, hits
}

// cliProc is a corsvcr process a signal test started: its output and its
// end.
type cliProc struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	errOut *lineWatcher
	done   chan error
}

// startCLI starts corsvcr with args, in a process group of its own when
// group is set (as a terminal runs a job, so that a Ctrl-C can reach the
// whole group). Its stderr is watched for watch (see lineWatcher).
func startCLI(t *testing.T, group bool, watch string, args ...string) *cliProc {
	t.Helper()
	p := &cliProc{
		cmd:    exec.CommandContext(testContext(t), corsvcrBin, args...),
		errOut: newLineWatcher(watch),
		done:   make(chan error, 1),
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, p.errOut
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	return p
}

// waitFor waits for ch, failing the test if corsvcr ends first.
func (p *cliProc) waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case err := <-p.done:
		t.Fatalf("corsvcr ended before %s: %v\n%s%s", what, err, p.out.String(), p.errOut.String())
	}
}

// interrupt sends SIGINT to corsvcr, or to its whole process group.
func (p *cliProc) interrupt(t *testing.T, group bool) {
	t.Helper()
	pid := p.cmd.Process.Pid
	if group {
		pid = -pid
	}
	require.NoError(t, syscall.Kill(pid, syscall.SIGINT))
}

// wait waits up to limit for corsvcr to end and returns Wait's error.
func (p *cliProc) wait(t *testing.T, limit time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-p.done:
		t.Logf("stdout:\n%s\nstderr:\n%s", p.out.String(), p.errOut.String())
		return err
	case <-time.After(limit):
		t.Fatalf("corsvcr did not stop %s:\n%s%s", what, p.out.String(), p.errOut.String())
		return nil
	}
}

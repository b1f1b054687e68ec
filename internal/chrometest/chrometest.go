// Package chrometest starts a Chrome the way a user starts one for corsvcr
// to attach to (--browser): separately, with a DevTools port on loopback.
// It is for tests only.
package chrometest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corsvcr/corsvcr/browsercheck"
)

// External is a Chrome started by Start.
type External struct {
	// WS is its DevTools address, ws://127.0.0.1:PORT/devtools/browser/ID.
	WS string
	// HTTP is its DevTools HTTP address, http://127.0.0.1:PORT.
	HTTP string

	cmd *exec.Cmd
}

// Start starts headless Chrome (browsercheck.FindChrome) with
// --remote-debugging-port=0 on 127.0.0.1 and a fresh profile, and reads its
// DevTools address from the "DevTools listening on ws://…" line of its
// stderr. The test's cleanup kills its whole process group and removes
// the profile.
func Start(t *testing.T) *External {
	t.Helper()
	exe, err := browsercheck.FindChrome()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--user-data-dir="+dir, "about:blank")
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, ws, ok := strings.Cut(sc.Text(), "DevTools listening on "); ok {
				found <- strings.TrimSpace(ws)
				break
			}
		}
		for sc.Scan() { // drain, so that Chrome never blocks on stderr
		}
	}()
	select {
	case ws := <-found:
		hostPort, _, _ := strings.Cut(strings.TrimPrefix(ws, "ws://"), "/")
		return &External{WS: ws, HTTP: "http://" + hostPort, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatal("the external Chrome printed no DevTools address within 30s")
		return nil
	}
}

// Alive reports whether its main process still runs.
func (e *External) Alive() bool {
	return e.cmd.ProcessState == nil && syscall.Kill(e.cmd.Process.Pid, 0) == nil
}

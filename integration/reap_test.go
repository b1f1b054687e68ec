package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// subreaperHelperEnv makes the test binary, from TestMain, run
// subreaperHelper instead of the tests: the command to run is in the
// variable, separated by \x1f (unit separator).
const subreaperHelperEnv = "CORSVCR_TEST_SUBREAPER_RUN"

// subreaperHelper makes this process a child subreaper, runs the command
// of subreaperHelperEnv and waits for it, then prints one line per process
// that was reparented to this process (its pid, state and name): the
// descendants the command left behind, alive or zombies. It then kills and
// reaps them, so that it leaves nothing behind itself. It returns 2 when
// it could not run the command.
func subreaperHelper() int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper helper: prctl:", err)
		return 2
	}
	args := strings.Split(os.Getenv(subreaperHelperEnv), "\x1f")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = slicesWithout(os.Environ(), subreaperHelperEnv)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "subreaper helper:", err)
			return 2
		}
		fmt.Fprintln(os.Stderr, "subreaper helper: command:", err)
	}
	// The command has been reaped: every process still a child of this
	// one was reparented here when its parent died.
	left := childrenOf(os.Getpid())
	for _, p := range left {
		fmt.Println(p.line)
	}
	for _, p := range left {
		unix.Kill(p.pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(p.pid, &ws, 0, nil)
	}
	return 0
}

func slicesWithout(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

type child struct {
	pid  int
	line string
}

// childrenOf lists the processes whose parent is ppid, from /proc/*/stat.
func childrenOf(ppid int) []child {
	var out []child
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(ppid) {
			continue
		}
		name := string(stat[bytes.IndexByte(stat, '(')+1 : i])
		out = append(out, child{pid: pid, line: fmt.Sprintf("pid %d state %s %s", pid, f[0], name)})
	}
	return out
}

// TestCLIReapsChrome: corsvcr leaves no process of Chrome's tree behind,
// neither alive nor a zombie for someone else to reap. The test runs the
// real corsvcr under a helper that is a child subreaper: every process
// orphaned while corsvcr runs, or left when it exits, is reparented to the
// helper, which lists what it got once corsvcr was waited for.
func TestCLIReapsChrome(t *testing.T) {
	dir := t.TempDir()
	checksPath, cas, _ := recordShop(t, dir)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(testContext(t), os.Args[0])
		cmd.Env = append(os.Environ(), subreaperHelperEnv+"="+strings.Join(append([]string{corsvcrBin}, args...), "\x1f"))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		require.NoError(t, cmd.Run(), "helper: %s", errOut.String())
		t.Logf("corsvcr %s:\n%s", strings.Join(args, " "), errOut.String())
		return out.String()
	}
	left := run("check", "--checks", checksPath, "--cassette", cas)
	assert.Empty(t, left, "processes left to the subreaper after corsvcr check")
	left = run("record", "--checks", checksPath, "--cassette", filepath.Join(dir, "again.yaml"), "--upstream", "localhost:9100="+closedPort(t))
	assert.Empty(t, left, "processes left to the subreaper after a failing corsvcr record")
}

// Package procstest gives tests the process ids they need to exercise
// cleanup after a killed run.
package procstest

import (
	"os"
	"os/exec"
	"testing"
)

// DeadPID returns the pid of a process that has just exited: a child
// started and waited for. (A pid is reused only after the kernel has gone
// through the pid space, so it stays free for the test's short life.)
func DeadPID(t testing.TB) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary with a -test.run that matches nothing exits at once.
	cmd := exec.Command(exe, "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("procstest: run a short child: %v", err)
	}
	return cmd.Process.Pid
}

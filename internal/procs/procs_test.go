package procs_test

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/internal/procs"
	"github.com/corsvcr/corsvcr/internal/procs/procstest"
)

func TestPIDOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tail string
		pid  int
		ok   bool
	}{
		{name: "pid and random", tail: "1234-987654", pid: 1234, ok: true},
		{name: "random only (older corsvcr)", tail: "987654", ok: false},
		{name: "no random", tail: "1234-", ok: false},
		{name: "not a number", tail: "x1-2", ok: false},
		{name: "leading zero", tail: "01-2", ok: false},
		{name: "negative", tail: "-1-2", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pid, ok := procs.PIDOf(tt.tail)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.pid, pid)
		})
	}
}

func TestRunning(t *testing.T) {
	t.Parallel()
	now := time.Now()
	assert.True(t, procs.Running(os.Getpid(), now), "this process")
	assert.False(t, procs.Running(procstest.DeadPID(t), now), "an exited child")
	if runtime.GOOS == "linux" {
		// This process started after a file written a year ago: the file's
		// writer had this pid before, so the pid was reused.
		assert.False(t, procs.Running(os.Getpid(), now.AddDate(-1, 0, 0)), "a pid reused since")
	}
}

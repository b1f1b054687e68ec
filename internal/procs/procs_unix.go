//go:build unix && !linux

package procs

import (
	"errors"
	"syscall"
	"time"
)

// Running reports whether a process with id pid runs. Outside Linux its
// start time is not known, so a reused pid counts as running: its temp
// entries stay until the pid is free.
func Running(pid int, t time.Time) bool {
	err := syscall.Kill(pid, 0)
	return !errors.Is(err, syscall.ESRCH)
}

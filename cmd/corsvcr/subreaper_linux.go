//go:build linux

package main

import "golang.org/x/sys/unix"

// becomeSubreaper makes corsvcr a child subreaper: the processes orphaned
// below it (Chrome's helpers, when Chrome stops) are reparented to it, not
// to PID 1, so that it reaps them. A failure only loses that.
func becomeSubreaper() {
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

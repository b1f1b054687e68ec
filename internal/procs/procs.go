// Package procs answers the questions corsvcr asks about other processes
// when it cleans up after a killed run: does the process that made this
// temp file still run, and is this file mine.
package procs

import (
	"strconv"
	"strings"
)

// PIDOf parses the "<pid>-<random>" tail of a temp name corsvcr made
// (".<name>.tmp-<pid>-<random>", "corsvcr-chrome-<pid>-<random>"); ok is
// false for any other tail, such as the names of older versions that carry
// no pid.
func PIDOf(tail string) (pid int, ok bool) {
	digits, rest, found := strings.Cut(tail, "-")
	if !found || rest == "" || digits == "" || digits[0] == '0' {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

//go:build linux

package procs

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// architecture Linux runs Go on.
const clockTicks = 100

// startSlack absorbs the one-second resolution of the boot time.
const startSlack = 2 * time.Second

// Running reports whether a process with id pid runs (zombies excluded)
// and started no later than t: the one that wrote a file at t could be it.
// A process that started after t reuses the pid of a dead one.
func Running(pid int, t time.Time) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state … with starttime the 20th field after comm; comm
	// can hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return true // unreadable: assume it runs
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return true
	}
	if f[0] == "Z" || f[0] == "X" {
		return false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	boot, ok := bootTime()
	if err != nil || !ok {
		return true
	}
	start := boot.Add(time.Duration(ticks) * time.Second / clockTicks)
	return !start.After(t.Add(startSlack))
}

// bootTime is the btime line of /proc/stat.
func bootTime() (time.Time, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(s, 0), true
		}
	}
	return time.Time{}, false
}

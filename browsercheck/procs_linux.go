//go:build linux

package browsercheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killLeftovers kills the processes that still run with dir as their
// --user-data-dir and waits until none is left. Chrome passes the flag to
// every child (zygote, renderer, utility processes), and dir is unique to one
// Browser, so the command line finds them all. A child can fork as the main
// process dies, so it looks again until several passes in a row find nothing.
// It adds the processes it killed, with their start times, to killed.
func killLeftovers(dir string, killed map[int]string) error {
	const (
		quietPasses = 3
		pause       = 5 * time.Millisecond
		limit       = 5 * time.Second
	)
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < quietPasses; {
		pids := processesUsing(dir)
		if len(pids) == 0 {
			quiet++
		} else {
			quiet = 0
			for _, pid := range pids {
				if st, ok := readStat(pid); ok {
					killed[pid] = st.start
				}
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chrome processes %v still run after SIGKILL", pids)
		}
		time.Sleep(pause)
	}
	return nil
}

// reapOrphans reaps the processes of tree (killed already) that are zombie
// children of this process: Chrome's helpers, orphaned when their parent
// died and reparented here because this process is a child subreaper
// (PR_SET_CHILD_SUBREAPER, set by cmd/corsvcr). Without it they are
// reparented elsewhere and left alone. It never waits for except, the
// browser process that os/exec waits for, nor for a process outside tree,
// so no exit status another wait expects is taken.
func reapOrphans(tree map[int]string, except int) {
	self := os.Getpid()
	for pid, start := range tree {
		if pid == except {
			continue
		}
		if st, ok := readStat(pid); ok && st.start == start && st.ppid == self && st.zombie {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

// processesUsing returns the live processes (zombies excluded) whose command
// line has the argument --user-data-dir=dir.
func processesUsing(dir string) []int {
	want := []byte("--user-data-dir=" + dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(cmdline) == 0 { // gone, or a zombie (empty cmdline)
			continue
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			if bytes.Equal(arg, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// procStat is the parent and start time of a process, from /proc/pid/stat.
type procStat struct {
	ppid   int
	start  string // start time in clock ticks since boot: tells a reused pid apart
	zombie bool
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime …; comm can hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return procStat{ppid: ppid, start: f[19], zombie: f[0] == "Z"}, true
}

// chromeTree returns the processes that run with --user-data-dir=dir and all
// their descendants, with their start times. Not every Chrome child carries
// the flag (the zygotes do not), and a child re-parented to init after its
// parent died can no longer be found through the tree, so take it while the
// browser runs.
func chromeTree(dir string) map[int]string {
	roots := processesUsing(dir)
	if len(roots) == 0 {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	stats := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			stats[pid] = st
		}
	}
	tree := map[int]string{}
	for _, r := range roots {
		if st, ok := stats[r]; ok {
			tree[r] = st.start
		}
	}
	for changed := true; changed; {
		changed = false
		for pid, st := range stats {
			if _, in := tree[pid]; !in {
				if _, parentIn := tree[st.ppid]; parentIn {
					tree[pid] = st.start
					changed = true
				}
			}
		}
	}
	return tree
}

// killTree SIGKILLs the processes of tree that still run (same pid and start
// time), and waits until they are gone or zombies.
func killTree(tree map[int]string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var alive []int
		for pid, start := range tree {
			if st, ok := readStat(pid); ok && st.start == start && !st.zombie {
				alive = append(alive, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chrome processes %v still run after SIGKILL", alive)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ownProcessGroup starts the browser in a process group of its own, and
// keeps chromedp's default: the kernel kills it when the thread that
// started it ends (Pdeathsig), so it never outlives corsvcr.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

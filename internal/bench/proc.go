package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// proc is a process under measurement: a server role of this binary or
// corsvcr itself.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string // the address it printed when ready
	done chan error
	tail *tailWriter
	out  *tailWriter // stdout after the ready line
}

// readyWithin bounds how long start waits for a process to be ready: a
// server loading a 100k-interaction cassette may take a while.
const readyWithin = 5 * time.Minute

// start runs argv and waits, at most readyWithin, for its first stdout line
// matching ready; the first submatch is the process's address.
func start(name string, ready *regexp.Regexp, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	tail := &tailWriter{}
	cmd.Stderr = tail
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan error, 1), tail: tail, out: &tailWriter{}}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
				continue
			}
			if sent {
				fmt.Fprintln(p.out, sc.Text())
			}
		}
		if !sent {
			close(found)
		}
		p.done <- cmd.Wait()
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			return nil, fmt.Errorf("bench: %s exited before it was ready: %s", name, tail.String())
		}
		p.addr = addr
		return p, nil
	case <-time.After(readyWithin):
		p.stop()
		return nil, fmt.Errorf("bench: %s not ready after %s: %s", name, readyWithin, tail.String())
	}
}

// stop ends the process with SIGTERM (SIGKILL after 10 s), waits, and
// returns what it printed after its ready line.
func (p *proc) stop() string {
	if p == nil || p.cmd.Process == nil {
		return ""
	}
	defer func() { p.cmd.Process = nil }()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	return p.out.String()
}

// stats is what /proc says about a process.
type stats struct {
	cpu time.Duration // user + system time so far
	rss int64         // resident set size now, bytes
	hwm int64         // peak resident set size, bytes
}

func (p *proc) stats() (stats, error) { return pidStats(p.cmd.Process.Pid) }

func pidStats(pid int) (stats, error) {
	var s stats
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name in parentheses may hold spaces: fields start after ')'.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return s, errors.New("bench: unreadable /proc stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.rss = kb << 10
		case "VmHWM":
			s.hwm = kb << 10
		}
	}
	return s, nil
}

// runOnce runs argv to completion and returns its wall time, its peak RSS
// and user+system CPU (from the kernel's rusage) and its stdout.
func runOnce(ctx context.Context, argv ...string) (wall time.Duration, ru *syscall.Rusage, stdout string, err error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out strings.Builder
	tail := &tailWriter{}
	cmd.Stdout = &out
	cmd.Stderr = tail
	t0 := time.Now()
	err = cmd.Run()
	wall = time.Since(t0)
	if cmd.ProcessState != nil {
		ru, _ = cmd.ProcessState.SysUsage().(*syscall.Rusage)
	}
	if err != nil {
		return wall, ru, out.String(), fmt.Errorf("bench: %s: %w: %s", strings.Join(argv, " "), err, tail.String())
	}
	return wall, ru, out.String(), nil
}

func rusageCPU(ru *syscall.Rusage) time.Duration {
	if ru == nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tailWriter keeps the last few KiB written to it, for error messages.
type tailWriter struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

var _ io.Writer = (*tailWriter)(nil)

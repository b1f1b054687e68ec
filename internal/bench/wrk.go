package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// load is what one wrk run measured.
type load struct {
	requests int64
	seconds  float64
	rps      float64
	bad      int64 // non-2xx/3xx answers plus socket errors
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// request is what every wrk connection sends.
type request struct {
	url     string            // where wrk connects (scheme://host:port/path)
	path    string            // request-target; absolute-form through a proxy; "" = url's path
	headers map[string]string // extra header fields
	randomN int               // > 0: path is a prefix, a random 1..randomN is appended per request
}

// runWrk loads target with conns keep-alive connections for d.
func runWrk(ctx context.Context, dir string, r request, conns int, d time.Duration) (load, error) {
	var lua strings.Builder
	if r.path != "" {
		fmt.Fprintf(&lua, "wrk.path = %q\n", r.path)
	}
	for k, v := range r.headers {
		fmt.Fprintf(&lua, "wrk.headers[%q] = %q\n", k, v)
	}
	if r.randomN > 0 {
		p := r.path
		if p == "" {
			p = urlPath(r.url)
		}
		fmt.Fprintf(&lua, "local n = %d\nrequest = function() return wrk.format(nil, %q .. math.random(n)) end\n", r.randomN, p)
	}
	script := filepath.Join(dir, "wrk.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o644); err != nil {
		return load{}, err
	}
	threads := min(conns, 2)
	cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "-s", script, r.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return load{}, fmt.Errorf("bench: wrk %s: %w: %s", r.url, err, out)
	}
	return parseWrk(string(out))
}

// parseWrk reads wrk's summary.
func parseWrk(out string) (load, error) {
	var l load
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil {
		return l, fmt.Errorf("bench: wrk: unreadable output: %s", out)
	}
	l.requests, _ = strconv.ParseInt(m[1], 10, 64)
	l.seconds, _ = strconv.ParseFloat(m[2], 64)
	switch m[3] {
	case "us":
		l.seconds /= 1e6
	case "ms":
		l.seconds /= 1e3
	case "m":
		l.seconds *= 60
	}
	if m := wrkRPS.FindStringSubmatch(out); m != nil {
		l.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		l.bad += n
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			l.bad += n
		}
	}
	return l, nil
}

func urlPath(u string) string {
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return "/"
}

// Command bench is `make bench`: it measures corsvcr's replay server, its
// recording proxy, its browser checks and its cassette files, each next to
// a reference measured in the same run, and prints one table of ratios.
//
// Absolute figures drift between machines and with load; ratios to a
// reference taken minutes apart on the same machine do not (much). Every
// server runs as its own process so that its CPU time and peak RSS are its
// own; load comes from wrk.
//
//	bench [-d 5s] [-only serve,recorder,checks,cassettes] [-corsvcr bin/corsvcr] [-martian bin/martianref]
//
// The references:
//   - serve: a bare net/http server answering the same bytes;
//   - recorder: plain martian with a pooled upstream (recorder/internal/martianref);
//   - checks: one worker (checks/s), and a bare Chrome start to exit (cold run);
//   - cassettes: encoding/json decoding/encoding the same cassette.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		if role, ok := roles[os.Args[1]]; ok {
			if err := role(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "bench %s: %v\n", os.Args[1], err)
				os.Exit(1)
			}
			return
		}
	}
	h := &harness{}
	flag.DurationVar(&h.d, "d", 5*time.Second, "length of each load run")
	only := flag.String("only", "serve,recorder,checks,cassettes", "comma-separated sections to run")
	flag.StringVar(&h.corsvcr, "corsvcr", "bin/corsvcr", "corsvcr binary")
	flag.StringVar(&h.martian, "martian", "bin/martianref", "plain martian reference binary")
	flag.IntVar(&h.rssTo, "rss-requests", 2_000_000, "requests to serve in the flat-RSS run")
	flag.Parse()
	if err := h.run(strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type harness struct {
	d       time.Duration
	corsvcr string
	martian string
	rssTo   int
	self    string
	dir     string
	rows    []row
}

// row is one line of the table.
type row struct {
	figure, value, ref, ratio, cpu, rss, target string
}

func (h *harness) add(r row) {
	h.rows = append(h.rows, r)
	fmt.Fprintf(os.Stderr, "  %-44s %s (%s)\n", r.figure, r.value, r.ratio) // progress
}

func (h *harness) run(sections []string) error {
	var err error
	if h.self, err = os.Executable(); err != nil {
		return err
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("bench: wrk not found: install it with `sudo apt-get install -y wrk` (make bench does)")
	}
	if h.dir, err = os.MkdirTemp("", "corsvcr-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(h.dir)
	ctx := context.Background()
	started := time.Now()
	for _, s := range sections {
		fmt.Fprintf(os.Stderr, "bench: %s…\n", s)
		switch strings.TrimSpace(s) {
		case "serve":
			err = h.serve(ctx)
		case "recorder":
			err = h.recorder(ctx)
		case "checks":
			err = h.checks(ctx)
		case "cassettes":
			err = h.cassettes(ctx)
		default:
			err = fmt.Errorf("bench: unknown section %q (serve, recorder, checks, cassettes)", s)
		}
		if err != nil {
			return err
		}
	}
	h.print(time.Since(started))
	return nil
}

var listening = regexp.MustCompile(`^listening (http://\S+)`)

// serve compares `corsvcr serve` to a bare net/http origin answering the
// same bytes, then checks that its memory stays flat.
func (h *harness) serve(ctx context.Context) error {
	small := filepath.Join(h.dir, "serve-10.yaml")
	big := filepath.Join(h.dir, "serve-100k.yaml")
	for n, p := range map[int]string{10: small, 100_000: big} {
		if _, _, _, err := runOnce(ctx, h.self, "gen", "-n", strconv.Itoa(n), "-out", p); err != nil {
			return err
		}
	}
	origin, err := start("origin", listening, h.self, "origin")
	if err != nil {
		return err
	}
	defer origin.stop()
	srv, err := h.startServe(small)
	if err != nil {
		return err
	}
	defer func() { srv.stop() }()
	hdr := map[string]string{"Origin": pageOrigin}
	for _, conns := range []int{1, 16, 64} {
		loads, cpus, _, err := h.bestTaking(ctx, conns,
			target{origin, request{url: origin.addr + "/items/1", headers: hdr}},
			target{srv, request{url: srv.addr + "/items/1", headers: hdr}})
		if err != nil {
			return err
		}
		ref, refCPU, got, gotCPU := loads[0], cpus[0], loads[1], cpus[1]
		st, _ := srv.stats()
		h.add(row{
			figure: fmt.Sprintf("serve GET, %d conn", conns),
			value:  rps(got.rps), ref: rps(ref.rps) + " net/http", ratio: ratio(got.rps, ref.rps),
			cpu: fmt.Sprintf("%.1f / %.1f", gotCPU, refCPU), rss: mib(st.hwm), target: "≥ 0.90×",
		})
	}

	// Many interactions: uniformly random items of a 100k cassette against
	// the same over a 10-interaction one. The reference is measured before
	// the big server starts and again after it stops (the better run
	// counts), so that neither its start nor its exit weighs on it.
	r10, _, err := h.best(ctx, srv, request{url: srv.addr + "/items/", headers: hdr, randomN: items(10)}, 16)
	if err != nil {
		return err
	}
	bigSrv, err := h.startServe(big)
	if err != nil {
		return err
	}
	defer bigSrv.stop()
	r100k, cpu100k, err := h.best(ctx, bigSrv, request{url: bigSrv.addr + "/items/", headers: hdr, randomN: items(100_000)}, 16)
	if err != nil {
		return err
	}
	st, _ := bigSrv.stats()
	bigSrv.stop()
	again, _, err := h.best(ctx, srv, request{url: srv.addr + "/items/", headers: hdr, randomN: items(10)}, 16)
	if err != nil {
		return err
	}
	if again.rps > r10.rps {
		r10 = again
	}
	h.add(row{
		figure: "serve, 100k-interaction cassette, 16 conn",
		value:  rps(r100k.rps), ref: rps(r10.rps) + " 10 interactions", ratio: ratio(r100k.rps, r10.rps),
		cpu: fmt.Sprintf("%.1f", cpu100k), rss: mib(st.hwm), target: "≥ 0.90×",
	})

	// Flat memory: RSS after 100k, 1M and all requests.
	srv.stop()
	if srv, err = h.startServe(small); err != nil {
		return err
	}
	var served int64
	var at100k int64
	marks := []int64{100_000}
	for _, m := range []int64{1_000_000, int64(h.rssTo)} {
		if m > marks[len(marks)-1] {
			marks = append(marks, m)
		}
	}
	for _, mark := range marks {
		for served < mark {
			l, err := runWrk(ctx, h.dir, request{url: srv.addr + "/items/1", headers: hdr}, 16, min(h.d, 5*time.Second))
			if err != nil {
				return err
			}
			if l.bad > 0 {
				return fmt.Errorf("bench: serve answered %d requests with errors or misses", l.bad)
			}
			served += l.requests
		}
		st, err := srv.stats()
		if err != nil {
			return err
		}
		if mark == marks[0] {
			at100k = st.rss
			continue
		}
		h.add(row{
			figure: fmt.Sprintf("serve RSS after %s requests", count(served)),
			value:  mib(st.rss), ref: mib(at100k) + " after 100k", ratio: ratio(float64(st.rss), float64(at100k)),
			rss: mib(st.hwm), target: "≤ 1.10×",
		})
	}
	return nil
}

func (h *harness) startServe(cassette string) (*proc, error) {
	return start("corsvcr serve", regexp.MustCompile(` at (http://\S+)`),
		h.corsvcr, "serve", "--cassette", cassette, "--host", apiHost, "--listen", "127.0.0.1:0")
}

// target is a server to load and the request to load it with.
type target struct {
	p *proc
	r request
}

// bestTaking is best for several servers running at once, which take turns
// under load (first, second, ..., first, second, ...), so that a slower
// spell of a shared machine weighs on all of them.
func (h *harness) bestTaking(ctx context.Context, conns int, ts ...target) (best []load, cpuPerReq []float64, served []int64, err error) {
	best = make([]load, len(ts))
	cpu := make([]time.Duration, len(ts))
	served = make([]int64, len(ts))
	for range 2 {
		for i, t := range ts {
			before, err := t.p.stats()
			if err != nil {
				return nil, nil, nil, err
			}
			l, err := runWrk(ctx, h.dir, t.r, conns, h.d)
			if err != nil {
				return nil, nil, nil, err
			}
			if l.bad > 0 {
				return nil, nil, nil, fmt.Errorf("bench: %s answered %d of %d requests with errors or non-2xx (a replay miss?)", t.p.name, l.bad, l.requests)
			}
			after, err := t.p.stats()
			if err != nil {
				return nil, nil, nil, err
			}
			cpu[i] += after.cpu - before.cpu
			served[i] += l.requests
			if l.rps > best[i].rps {
				best[i] = l
			}
		}
	}
	cpuPerReq = make([]float64, len(ts))
	for i := range ts {
		cpuPerReq[i] = float64(cpu[i].Microseconds()) / float64(max(served[i], 1))
	}
	return best, cpuPerReq, served, nil
}

// best runs wrk twice and keeps the faster run, with the server's CPU
// microseconds per request over both runs.
func (h *harness) best(ctx context.Context, p *proc, r request, conns int) (load, float64, error) {
	before, err := p.stats()
	if err != nil {
		return load{}, 0, err
	}
	var best load
	var total int64
	for range 2 {
		l, err := runWrk(ctx, h.dir, r, conns, h.d)
		if err != nil {
			return load{}, 0, err
		}
		if l.bad > 0 {
			return load{}, 0, fmt.Errorf("bench: %s answered %d of %d requests with errors or non-2xx (a replay miss?)", p.name, l.bad, l.requests)
		}
		total += l.requests
		if l.rps > best.rps {
			best = l
		}
	}
	after, err := p.stats()
	if err != nil {
		return load{}, 0, err
	}
	return best, float64((after.cpu - before.cpu).Microseconds()) / float64(max(total, 1)), nil
}

// recorder compares the recording proxy to plain martian, each in front of
// an origin of its own (whose new-connection count shows upstream pooling).
// Both run at once and take turns under load (martian, recorder, martian,
// recorder), so that a slower spell of a shared machine weighs on both.
func (h *harness) recorder(ctx context.Context) error {
	hdr := map[string]string{"Origin": pageOrigin}
	for _, conns := range []int{1, 16, 64} {
		type side struct {
			name   string
			argv   func(origin string) []string
			origin *proc
			p      *proc
		}
		sides := []*side{
			{name: "martian", argv: func(string) []string { return []string{h.martian} }},
			{name: "recorder", argv: func(o string) []string { return []string{h.self, "recorder", "-origin", o} }},
		}
		stopAll := func() {
			for _, s := range sides {
				s.p.stop()
				s.origin.stop()
			}
		}
		for _, s := range sides {
			var err error
			if s.origin, err = start("origin", listening, h.self, "origin"); err != nil {
				stopAll()
				return err
			}
			if s.p, err = start(s.name, listening, s.argv(strings.TrimPrefix(s.origin.addr, "http://"))...); err != nil {
				stopAll()
				return err
			}
		}
		ts := make([]target, len(sides))
		for i, s := range sides {
			ts[i] = target{s.p, request{url: s.p.addr, path: s.origin.addr + "/items/1", headers: hdr}}
		}
		loads, cpus, served, err := h.bestTaking(ctx, conns, ts...)
		if err != nil {
			stopAll()
			return err
		}
		ref, got := sides[0], sides[1]
		var rss int64
		if st, err := got.p.stats(); err == nil {
			rss = st.hwm
		}
		summary := got.p.stop()
		ref.p.stop()
		dials := func(s *side) string {
			return strings.TrimSpace(strings.TrimPrefix(s.origin.stop(), "connections "))
		}
		var recorded, failures int64
		fmt.Sscanf(summary, "recorded %d failures %d", &recorded, &failures)
		h.add(row{
			figure: fmt.Sprintf("recorder, %d conn (upstream dials %s vs %s)", conns, dials(got), dials(ref)),
			value:  rps(loads[1].rps), ref: rps(loads[0].rps) + " martian", ratio: ratio(loads[1].rps, loads[0].rps),
			cpu: fmt.Sprintf("%.1f / %.1f", cpus[1], cpus[0]), rss: mib(rss), target: "≥ 0.90×",
		})
		if failures > 0 {
			return fmt.Errorf("bench: the recorder reported %d failed exchanges at %d connections", failures, conns)
		}
		if recorded < served[1] { // wrk counts the exchanges it completed; a few more may have been in flight
			return fmt.Errorf("bench: the recorder lost exchanges at %d connections: it recorded %d, wrk completed %d: %q", conns, recorded, served[1], summary)
		}
	}
	return nil
}

// checks measures Chrome-verified checks per second on a 300-check replay
// (200 GET, 100 preflighted PUT, distinct URLs) by worker count, and a cold
// 10-check run against a bare Chrome start.
func (h *harness) checks(ctx context.Context) error {
	f300 := filepath.Join(h.dir, "checks-300.yaml")
	f10 := filepath.Join(h.dir, "checks-10.yaml")
	cas := filepath.Join(h.dir, "checks.yaml")
	if err := os.WriteFile(f300, checkFile(200, 100, 201), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(f10, checkFile(7, 3, 201), 0o644); err != nil {
		return err
	}
	origin, err := start("origin", listening, h.self, "origin")
	if err != nil {
		return err
	}
	if _, _, _, err := runOnce(ctx, h.corsvcr, "record", "--checks", f300, "--cassette", cas,
		"--upstream", apiHost+"="+strings.TrimPrefix(origin.addr, "http://")); err != nil {
		origin.stop()
		return err
	}
	origin.stop() // the checks run offline

	helpOut, _ := exec.Command(h.corsvcr, "check", "-h").CombinedOutput()
	parallel := strings.Contains(string(helpOut), "-parallel")
	workers := []int{1}
	if parallel {
		workers = []int{1, 2, 4, 8}
	}

	cold10, _, _, err := runOnce(ctx, h.corsvcr, "check", "--checks", f10, "--cassette", cas)
	if err != nil {
		return err
	}
	chromeStart, err := h.bareChrome(ctx)
	if err != nil {
		return err
	}
	h.add(row{
		figure: "cold 10-check run (wall)",
		value:  ms(cold10), ref: ms(chromeStart) + " bare Chrome start+exit", ratio: ratio(cold10.Seconds(), chromeStart.Seconds()),
		target: "—",
	})

	// checks/s: the 300-check run less a 10-check run with the same
	// workers (Chrome's start and the first page load cancel out), and the
	// whole 300-check run's wall time.
	var one float64
	for _, w := range workers {
		bestOf := func(file string) (time.Duration, error) {
			argv := []string{h.corsvcr, "check", "--checks", file, "--cassette", cas}
			if parallel {
				argv = append(argv, "--parallel", strconv.Itoa(w))
			}
			var best time.Duration
			for range 3 {
				wall, _, _, err := runOnce(ctx, argv...)
				if err != nil {
					return 0, err
				}
				if best == 0 || wall < best {
					best = wall
				}
			}
			return best, nil
		}
		w300, err := bestOf(f300)
		if err != nil {
			return err
		}
		w10, err := bestOf(f10)
		if err != nil {
			return err
		}
		rate := 290 / max(w300-w10, time.Millisecond).Seconds()
		if w == 1 {
			one = rate
		}
		h.add(row{
			figure: fmt.Sprintf("checks, 300 replayed, %d worker(s)", w),
			value:  fmt.Sprintf("%.0f checks/s (300 in %s)", rate, ms(w300)),
			ref:    fmt.Sprintf("%.0f checks/s 1 worker", one), ratio: ratio(rate, one),
			target: "≥ 250 checks/s",
		})
	}
	if !parallel {
		h.add(row{figure: "checks: this corsvcr has no --parallel", value: "—", ratio: "—"})
	}
	return nil
}

// bareChrome times the browser corsvcr would use starting, loading
// about:blank and exiting.
func (h *harness) bareChrome(ctx context.Context) (time.Duration, error) {
	chrome := os.Getenv("CORSVCR_CHROME")
	for _, b := range []string{"chromium-headless-shell", "chromium", "google-chrome"} {
		if chrome != "" {
			break
		}
		chrome, _ = exec.LookPath(b)
	}
	if chrome == "" {
		return 0, fmt.Errorf("bench: no Chrome found (make browser installs chromium-headless-shell)")
	}
	udd, err := os.MkdirTemp(h.dir, "chrome-")
	if err != nil {
		return 0, err
	}
	var best time.Duration
	for range 3 {
		wall, _, _, err := runOnce(ctx, chrome, "--headless", "--no-sandbox", "--disable-gpu",
			"--user-data-dir="+udd, "--dump-dom", "about:blank")
		if err != nil {
			return 0, err
		}
		if best == 0 || wall < best {
			best = wall
		}
	}
	return best, nil
}

// cassettes measures loading 10k and 100k interactions and saving 50k,
// each next to encoding/json doing the same with the same data.
func (h *harness) cassettes(ctx context.Context) error {
	for _, n := range []int{10_000, 100_000} {
		p := filepath.Join(h.dir, fmt.Sprintf("load-%d.yaml", n))
		if _, _, _, err := runOnce(ctx, h.self, "gen", "-n", strconv.Itoa(n), "-out", p); err != nil {
			return err
		}
		got, gotRU, err := h.measureRole(ctx, "load", "-file", p)
		if err != nil {
			return err
		}
		ref, _, err := h.measureRole(ctx, "load", "-json", "-file", p+".json")
		if err != nil {
			return err
		}
		target := "< 150 ms, < 100 MiB"
		if n == 100_000 {
			target = "< 1.5 s, < 1 GiB"
		}
		h.add(row{
			figure: fmt.Sprintf("load %s interactions (%s)", count(int64(n)), mib(got.FileBytes)),
			value:  fmt.Sprintf("%s, %s alloc", ms(seconds(got.Seconds)), mib(int64(got.AllocBytes))),
			ref:    ms(seconds(ref.Seconds)) + " encoding/json", ratio: ratio(got.Seconds, ref.Seconds),
			rss: mib(gotRU), target: target,
		})
		os.Remove(p)
		os.Remove(p + ".json")
	}
	p := filepath.Join(h.dir, "save-50k.yaml")
	got, _, err := h.measureRole(ctx, "save", "-n", "50000", "-out", p)
	if err != nil {
		return err
	}
	ref, _, err := h.measureRole(ctx, "save", "-json", "-n", "50000", "-out", p+".json")
	if err != nil {
		return err
	}
	h.add(row{
		figure: fmt.Sprintf("save 50k interactions (%s)", mib(got.FileBytes)),
		value:  fmt.Sprintf("%s, %s alloc", ms(seconds(got.Seconds)), mib(int64(got.AllocBytes))),
		ref:    ms(seconds(ref.Seconds)) + " encoding/json", ratio: ratio(got.Seconds, ref.Seconds),
		rss:    fmt.Sprintf("+%s (%.1f× file)", mib(got.PeakExtra), float64(got.PeakExtra)/float64(max(got.FileBytes, 1))),
		target: "< 1 s, ∝ file",
	})
	return nil
}

// measureRole runs a load/save role and returns its measurement and peak RSS.
func (h *harness) measureRole(ctx context.Context, args ...string) (measurement, int64, error) {
	var m measurement
	_, ru, out, err := runOnce(ctx, append([]string{h.self}, args...)...)
	if err != nil {
		return m, 0, err
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return m, 0, fmt.Errorf("bench: %s: unreadable output %q", args[0], out)
	}
	var rss int64
	if ru != nil {
		rss = ru.Maxrss << 10 // KiB on Linux
	}
	return m, rss, nil
}

// items is how many GET items generate(n) holds: /items/1..items(n).
func items(n int) int {
	c := 0
	got := 0
	for i := 1; got < n; i++ {
		got++
		c = i
		if i%3 == 0 && got+2 <= n {
			got += 2
		}
	}
	return c
}

func (h *harness) print(took time.Duration) {
	fmt.Printf("corsvcr bench — %s, %d CPUs, %s, took %s\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.Version(), took.Round(time.Second))
	fmt.Println("ratio = value / reference, both measured in this run; CPU = server CPU µs per request (subject / reference); RSS = subject's peak")
	header := row{"figure", "value", "reference", "ratio", "CPU µs/req", "peak RSS", "target"}
	rows := append([]row{header}, h.rows...)
	w := make([]int, 7)
	for _, r := range rows {
		for i, c := range r.cells() {
			w[i] = max(w[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r.cells() {
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", w[i]-len([]rune(c))+2))
		}
		fmt.Println(strings.TrimRight(b.String(), " "))
	}
}

func (r row) cells() []string {
	return []string{r.figure, r.value, r.ref, r.ratio, orDash(r.cpu), orDash(r.rss), orDash(r.target)}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func rps(v float64) string { return fmt.Sprintf("%.0f req/s", v) }

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func count(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.FormatInt(n, 10)
}

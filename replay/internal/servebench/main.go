// Command servebench loads a replay server, or a bare net/http server
// writing the same bytes, with keep-alive HTTP/1.1 requests from a cheap Go
// load generator, and prints the throughput of each phase and the server
// process's resident memory (VmRSS, VmHWM) after each phase. It measures
// what no test asserts: that `corsvcr serve` keeps up with net/http and that
// its memory stays flat however many requests it has served.
//
//	go run ./replay/internal/servebench -conns 64 -phases 100000,1000000,2000000
//	go run ./replay/internal/servebench -server bare -conns 64
//	go run ./replay/internal/servebench -corsvcr bin/corsvcr   # the real CLI
//
// The server runs in a child process (this command re-executed, or
// `corsvcr serve`), so the generator's memory is not counted. Every server
// listens on loopback.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/replay/internal/loadgen"
)

const (
	api  = "http://api.test:8000"
	app  = "http://app.test:8080"
	body = `{"id":42,"name":"widget","tags":["a","b","c"],"price":1999}`
	// target is the interaction the load asks for (a credentialed PUT).
	target = 501
)

// serverGOGC is -gogc.
var serverGOGC string

func main() {
	child := flag.String("child", "", "internal: serve as replay or bare and print the address")
	server := flag.String("server", "replay", "server to load: replay (replay.NewServer) or bare (net/http writing the same bytes)")
	bin := flag.String("corsvcr", "", "load `corsvcr serve` run from this binary instead of an in-process replay server")
	conns := flag.Int("conns", 64, "concurrent keep-alive connections")
	phases := flag.String("phases", "100000,1000000,2000000", "cumulative request counts after which memory is read")
	endpoints := flag.Int("endpoints", 500, "endpoints in the generated cassette (two interactions each)")
	compare := flag.String("compare", "", "compare the replay (or -corsvcr) with bare net/http at these connection counts, e.g. 1,16,64, instead of measuring memory")
	perRound := flag.Int("n", 20000, "with -compare: requests per server per round")
	rounds := flag.Int("rounds", 5, "with -compare: rounds, each server loaded in turn")
	flag.StringVar(&serverGOGC, "gogc", "", "GOGC for the replay or corsvcr process only (the bare server keeps the default)")
	profile := flag.String("cpuprofile", "", "write the server's CPU profile to `file` (in-process servers)")
	flag.Parse()
	if *compare != "" && *child == "" {
		if err := runCompare(*bin, *compare, *endpoints, *perRound, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "servebench:", err)
			os.Exit(1)
		}
		return
	}
	if *child != "" {
		if err := serveChild(*child, *endpoints, *profile); err != nil {
			fmt.Fprintln(os.Stderr, "servebench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*server, *bin, *conns, *phases, *endpoints, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		os.Exit(1)
	}
}

// benchCassette is n endpoints, each a preflight and a credentialed PUT,
// shaped like a Chrome recording (as replay's benchmarks).
func benchCassette(n int) *cassettes.Cassette {
	h := func(lines ...string) cassettes.Headers {
		var hs cassettes.Headers
		for _, l := range lines {
			name, v, _ := strings.Cut(l, ": ")
			hs = append(hs, cassettes.Header{Name: name, Value: v})
		}
		return hs
	}
	c := &cassettes.Cassette{Version: cassettes.FormatVersion}
	for i := range n {
		u := fmt.Sprintf("%s/api/v1/items/%d?page=2", api, i)
		pre := h("Origin: "+app, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type,x-token")
		put := h("Origin: "+app, "Content-Type: application/json", "Cookie: s=1")
		c.Interactions = append(c.Interactions,
			cassettes.Interaction{Kind: cassettes.Classify("OPTIONS", pre), Request: cassettes.Request{Method: "OPTIONS", URL: u, Headers: pre},
				Response: cassettes.Response{Status: 204, Headers: h("Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Methods: GET, PUT",
					"Access-Control-Allow-Headers: content-type, x-token", "Access-Control-Allow-Credentials: true", "Vary: Origin", "Access-Control-Max-Age: 600")}},
			cassettes.Interaction{Kind: cassettes.Classify("PUT", put), Request: cassettes.Request{Method: "PUT", URL: u, Headers: put},
				Response: cassettes.Response{Status: 200, Headers: h("Content-Type: application/json", "Access-Control-Allow-Origin: "+app,
					"Access-Control-Allow-Credentials: true", "Vary: Origin"), Body: cassettes.Body(body)}},
		)
	}
	return c
}

// serveChild serves until stdin closes.
func serveChild(kind string, endpoints int, profile string) error {
	c := benchCassette(endpoints)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var addr string
	switch kind {
	case "replay":
		s, err := replay.NewServer(replay.Config{Cassette: c}, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer s.Close()
		addr = strings.TrimPrefix(s.URL(), "http://")
	case "bare":
		rs := c.Interactions[target].Response
		// Precomputed values, no Date (none was recorded) and an explicit
		// Content-Length: the bytes the replay writes.
		static := http.Header{"Date": nil, "Content-Length": {strconv.Itoa(len(rs.Body))}}
		for _, f := range rs.Headers {
			static[f.Name] = append(static[f.Name], f.Value)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			for k, vs := range static {
				h[k] = vs
			}
			w.WriteHeader(rs.Status)
			_, _ = w.Write(rs.Body)
		})}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		addr = ln.Addr().String()
	default:
		return fmt.Errorf("-child %q: replay or bare", kind)
	}
	fmt.Println("http://" + addr)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// start starts the server process and returns it with its address.
func start(server, bin string, endpoints int, profile string) (*exec.Cmd, io.Closer, string, func(), error) {
	var cmd *exec.Cmd
	cleanup := func() {}
	if bin != "" {
		dir, err := os.MkdirTemp("", "servebench")
		if err != nil {
			return nil, nil, "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		path := filepath.Join(dir, "cassette.yaml")
		if err := cassettes.Save(path, benchCassette(endpoints)); err != nil {
			cleanup()
			return nil, nil, "", nil, err
		}
		cmd = exec.Command(bin, "serve", "--cassette", path, "--listen", "127.0.0.1:0")
	} else {
		self, err := os.Executable()
		if err != nil {
			return nil, nil, "", nil, err
		}
		cmd = exec.Command(self, "-child", server, "-endpoints", strconv.Itoa(endpoints), "-cpuprofile", profile)
	}
	cmd.Stderr = os.Stderr
	if server != "bare" && serverGOGC != "" {
		cmd.Env = append(os.Environ(), "GOGC="+serverGOGC)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		cleanup()
		return nil, nil, "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		cleanup()
		return nil, nil, "", nil, err
	}
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, nil, "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		cleanup()
		return nil, nil, "", nil, fmt.Errorf("server did not start: %w", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		cleanup()
		return nil, nil, "", nil, fmt.Errorf("no address in %q", line)
	}
	u := strings.Fields(line[i:])[0]
	return cmd, in, strings.TrimPrefix(u, "http://"), cleanup, nil
}

func run(server, bin string, conns int, phaseList string, endpoints int, profile string) error {
	var phases []int
	for f := range strings.SplitSeq(phaseList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-phases %q: not a list of positive counts", phaseList)
		}
		phases = append(phases, n)
	}
	cmd, stdin, addr, cleanup, err := start(server, bin, endpoints, profile)
	if err != nil {
		return err
	}
	defer cleanup()
	defer func() {
		if bin != "" {
			_ = cmd.Process.Signal(os.Interrupt)
		}
		stdin.Close()
		_ = cmd.Wait()
	}()
	name := server
	if bin != "" {
		name = "corsvcr serve"
	}
	rss, hwm := memory(cmd.Process.Pid)
	fmt.Printf("%s at %s, %d connections; started: RSS %.1f MiB\n", name, addr, conns, rss)
	_ = hwm
	done := 0
	for _, n := range phases {
		if n <= done {
			continue
		}
		c0, t0 := cpu(cmd.Process.Pid), time.Now()
		if err := loadgen.Load(addr, conns, n-done, request); err != nil {
			return err
		}
		el := time.Since(t0)
		rate := float64(n-done) / el.Seconds()
		us := float64((cpu(cmd.Process.Pid) - c0).Microseconds()) / float64(n-done)
		done = n
		rss, hwm := memory(cmd.Process.Pid)
		fmt.Printf("after %9d requests: %8.0f req/s  %5.1f cpu µs/req  RSS %6.1f MiB  peak %6.1f MiB\n", n, rate, us, rss, hwm)
	}
	return nil
}

// memory returns the VmRSS and VmHWM of process pid in MiB.
func memory(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1, -1
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// cpu returns the CPU time process pid has used (user and system).
func cpu(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / clockTicks)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
const clockTicks = 100

// runCompare loads the replay server (or corsvcr serve) and a bare server
// in turn, rounds times at each connection count, and prints throughput
// and CPU per request side by side. CPU per request is the steadier figure
// on a shared machine: it does not count time spent waiting for a core.
func runCompare(bin, connList string, endpoints, perRound, rounds int) error {
	var counts []int
	for f := range strings.SplitSeq(connList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-compare %q: not a list of connection counts", connList)
		}
		counts = append(counts, n)
	}
	type proc struct {
		name  string
		cmd   *exec.Cmd
		stdin io.Closer
		addr  string
		wall  time.Duration
		cpu   time.Duration
	}
	var ps []*proc
	for _, kind := range []string{"replay", "bare"} {
		b := bin
		if kind == "bare" {
			b = ""
		}
		cmd, stdin, addr, cleanup, err := start(kind, b, endpoints, "")
		if err != nil {
			return err
		}
		defer cleanup()
		defer func() {
			if b != "" {
				_ = cmd.Process.Signal(os.Interrupt)
			}
			stdin.Close()
			_ = cmd.Wait()
		}()
		name := kind
		if b != "" {
			name = "corsvcr serve"
		}
		ps = append(ps, &proc{name: name, cmd: cmd, stdin: stdin, addr: addr})
	}
	fmt.Printf("%-6s %12s %12s %8s %12s %12s %8s\n", "conns", ps[0].name+" r/s", "bare r/s", "ratio", "cpu µs/req", "bare µs/req", "cpu x")
	for _, conns := range counts {
		for _, p := range ps {
			p.wall, p.cpu = 0, 0
			// Warm up: connections, buffers, the first allocations.
			if err := loadgen.Load(p.addr, conns, min(perRound, 2000), request); err != nil {
				return err
			}
		}
		for range rounds {
			for _, p := range ps {
				c0, t0 := cpu(p.cmd.Process.Pid), time.Now()
				if err := loadgen.Load(p.addr, conns, perRound, request); err != nil {
					return err
				}
				p.wall += time.Since(t0)
				p.cpu += cpu(p.cmd.Process.Pid) - c0
			}
		}
		n := float64(perRound * rounds)
		rate := func(p *proc) float64 { return n / p.wall.Seconds() }
		us := func(p *proc) float64 { return float64(p.cpu.Microseconds()) / n }
		fmt.Printf("%-6d %12.0f %12.0f %8.3f %12.1f %12.1f %8.3f\n", conns, rate(ps[0]), rate(ps[1]), rate(ps[0])/rate(ps[1]),
			us(ps[0]), us(ps[1]), us(ps[1])/us(ps[0]))
	}
	return nil
}

// request is the benchmark request in proxy form, with Chrome's headers.
var request = []byte("PUT " + api + "/api/v1/items/250?page=2 HTTP/1.1\r\n" +
	"Host: api.test:8000\r\n" +
	"Origin: " + app + "\r\n" +
	"Cookie: s=1\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Length: 0\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"156\", \"Not)A;Brand\";v=\"24\"\r\n" +
	"Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n" +
	"Accept: */*\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n" +
	"Referer: " + app + "/\r\n\r\n")

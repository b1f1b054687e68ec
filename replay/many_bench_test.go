package replay

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
	"github.com/corsvcr/corsvcr/replay/internal/loadgen"
)

// The cassettes of BenchmarkServeManyInteractions are shaped like
// internal/bench's (bench gen): a page at manyOrigin calling an API at
// manyHost, recorded by Chrome.
const (
	manyOrigin = "http://app.bench.test"
	manyHost   = "api.bench.test:8000"
)

// manyCassette returns a cassette of n interactions as bench gen writes
// them: for every item a GET; every third item also a preflight and a JSON
// PUT. GET /items/1..items are all present.
func manyCassette(n int) (c *cassettes.Cassette, items int) {
	reqHeaders := func(method string) cassettes.Headers {
		return cassettestest.ChromeRequestHeaders(method, manyHost, manyOrigin)
	}
	c = &cassettes.Cassette{Version: cassettes.FormatVersion, Meta: cassettes.Meta{Corsvcr: "bench"}}
	for i := 1; len(c.Interactions) < n; i++ {
		items = i
		u := "http://" + manyHost + "/items/" + strconv.Itoa(i)
		body := fmt.Appendf(nil, `{"id":%d,"name":"item %d","tags":["bench","cors"],"price":%d.50}`, i, i, i%1000)
		resp := hs("Access-Control-Allow-Origin: "+manyOrigin, "Access-Control-Expose-Headers: X-Request-Id",
			"Cache-Control: no-store", "Content-Type: application/json", "Vary: Origin", "X-Request-Id: bench",
			"Date: "+cassettes.RecordedDate, "Content-Length: "+strconv.Itoa(len(body)))
		c.Interactions = append(c.Interactions, cassettes.Interaction{
			Kind:     cassettes.KindActual,
			Request:  cassettes.Request{Method: "GET", URL: u, Headers: reqHeaders("GET")},
			Response: cassettes.Response{Status: 200, Headers: resp, Body: body},
		})
		if i%3 != 0 || len(c.Interactions)+2 > n {
			continue
		}
		c.Interactions = append(c.Interactions,
			cassettes.Interaction{
				Kind:    cassettes.KindPreflight,
				Request: cassettes.Request{Method: "OPTIONS", URL: u, Headers: reqHeaders("OPTIONS")},
				Response: cassettes.Response{Status: 204, Headers: hs("Access-Control-Allow-Origin: "+manyOrigin,
					"Access-Control-Allow-Methods: GET, PUT", "Access-Control-Allow-Headers: content-type",
					"Access-Control-Max-Age: 600", "Vary: Origin", "Date: "+cassettes.RecordedDate, "Content-Length: 0")},
			},
			cassettes.Interaction{
				Kind:     cassettes.KindActual,
				Request:  cassettes.Request{Method: "PUT", URL: u, Headers: reqHeaders("PUT"), Body: body},
				Response: cassettes.Response{Status: 200, Headers: resp, Body: body},
			})
	}
	return c, items
}

// manyChildEnv names the cassette a TestServeManyChild process serves.
const manyChildEnv = "CORSVCR_REPLAY_SERVE_MANY_CHILD"

// TestServeManyChild is the server process of BenchmarkServeManyInteractions,
// run only when manyChildEnv names a cassette: it loads it as corsvcr serve
// does, prints "addr heapBefore heapLoaded heapIndexed" (live heap bytes
// after a GC: before the load, after it, after New) and serves until its
// stdin closes.
func TestServeManyChild(t *testing.T) {
	path := os.Getenv(manyChildEnv)
	if path == "" {
		t.Skip("the server process of BenchmarkServeManyInteractions")
	}
	live := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := live()
	c, err := cassettes.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded := live()
	s, err := NewServer(Config{Cassette: c, Host: manyHost}, "")
	if err != nil {
		t.Fatal(err)
	}
	indexed := live()
	fmt.Printf("%s %d %d %d\n", strings.TrimPrefix(s.URL(), "http://"), before, loaded, indexed)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// manyServer is a TestServeManyChild process.
type manyServer struct {
	cmd                     *exec.Cmd
	stdin                   io.Closer
	addr                    string
	before, loaded, indexed int64
	items                   int
	cpuStart                time.Duration
	cpu                     time.Duration // CPU time of the served rounds
	served                  int
}

// startManyServer saves a cassette of n interactions (manyCassette) in dir
// and starts a server process for it.
func startManyServer(b *testing.B, dir string, n int) *manyServer {
	c, items := manyCassette(n)
	path := filepath.Join(dir, fmt.Sprintf("many-%d.yaml", n))
	if err := cassettes.Save(path, c); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeManyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), manyChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &manyServer{cmd: cmd, stdin: stdin, items: items}
	b.Cleanup(func() {
		_ = s.stdin.Close()
		_ = s.cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("server of %d interactions: %v", n, err)
	}
	if _, err := fmt.Sscan(line, &s.addr, &s.before, &s.loaded, &s.indexed); err != nil {
		b.Fatalf("server of %d interactions: %q: %v", n, line, err)
	}
	return s
}

// cpuTime returns the CPU time s's process has used, 0 when unknown.
func (s *manyServer) cpuTime() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// load sends n requests for uniformly random existing items to s over
// conns connections, and returns the wall time they took.
func (s *manyServer) load(b *testing.B, conns, n int) time.Duration {
	t0, c0 := time.Now(), s.cpuTime()
	err := loadgen.LoadEach(s.addr, conns, n, func(dst []byte, rnd *rand.Rand) []byte {
		dst = append(dst, "GET /items/"...)
		dst = strconv.AppendInt(dst, int64(1+rnd.IntN(s.items)), 10)
		return append(dst, " HTTP/1.1\r\nHost: "+manyHost+"\r\nOrigin: "+manyOrigin+"\r\n\r\n"...)
	})
	if err != nil {
		b.Fatal(err)
	}
	s.cpu += s.cpuTime() - c0
	s.served += n
	return time.Since(t0)
}

// BenchmarkServeManyInteractions serves uniformly random existing items
// (GET /items/N, as make bench does) from a replay server of a
// 100k-interaction cassette and from one of a 10-interaction cassette,
// each in a process of its own (so that neither's heap weighs on the
// other's garbage collector), through the same loopback load generator at
// 16 connections, in interleaved rounds. ns/op is the 100k server's.
// x-10 is its throughput over the 10-interaction server's (the target is
// >= 0.9), cpu-x-10 the 10 server's CPU time per request over the 100k
// one's (CPU time is less noisy than wall time on a shared machine),
// us-cpu/op-* the servers' CPU time per request (10 ms resolution, from
// /proc), live-MiB-* the live heap after New, cassette included, and
// index-MiB-* the part New added.
func BenchmarkServeManyInteractions(b *testing.B) {
	if testing.Short() {
		b.Skip("builds and loads a 100k-interaction cassette")
	}
	dir := b.TempDir()
	small := startManyServer(b, dir, 10)
	big := startManyServer(b, dir, 100_000)
	const conns, rounds = 16, 8
	// Warm both up: connections, the Date cache, the first GC cycles.
	small.load(b, conns, 2000)
	big.load(b, conns, 2000)
	b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
		small.cpu, big.cpu, small.served, big.served = 0, 0, 0, 0
		var tSmall, tBig time.Duration
		b.ResetTimer()
		for i := range rounds {
			n := b.N / rounds
			if i < b.N%rounds {
				n++ // b.N in all
			}
			if n == 0 {
				continue
			}
			b.StopTimer()
			tSmall += small.load(b, conns, n)
			b.StartTimer()
			tBig += big.load(b, conns, n)
		}
		b.StopTimer()
		b.ReportMetric(float64(tSmall)/float64(tBig), "x-10")
		mib := func(v int64) float64 { return float64(v) / (1 << 20) }
		for _, s := range []struct {
			name string
			s    *manyServer
		}{{"10", small}, {"100k", big}} {
			if s.s.served > 0 {
				b.ReportMetric(float64(s.s.cpu.Microseconds())/float64(s.s.served), "us-cpu/op-"+s.name)
			}
			b.ReportMetric(mib(s.s.indexed-s.s.before), "live-MiB-"+s.name)
			b.ReportMetric(mib(s.s.indexed-s.s.loaded), "index-MiB-"+s.name)
		}
		if small.cpu > 0 && big.cpu > 0 {
			b.ReportMetric((float64(small.cpu)/float64(small.served))/(float64(big.cpu)/float64(big.served)), "cpu-x-10")
		}
	})
}

// BenchmarkNewManyInteractions measures New, the index a serve builds at
// start, on the 100k-interaction cassette of BenchmarkServeManyInteractions
// (with Config.Host, as corsvcr serve --host, and without).
func BenchmarkNewManyInteractions(b *testing.B) {
	c, _ := manyCassette(100_000)
	for _, host := range []string{manyHost, ""} {
		b.Run(fmt.Sprintf("host=%q", host), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(Config{Cassette: c, Host: host}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReplayHitMany measures ServeHTTP alone (no network, a
// ResponseWriter that keeps nothing) on uniformly random existing items of
// a 10- and a 100k-interaction cassette, as BenchmarkServeManyInteractions
// requests them: the cost of the index's lookups where they miss the CPU
// caches.
func BenchmarkReplayHitMany(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("interactions=%d", n), func(b *testing.B) {
			c, items := manyCassette(n)
			r := newReplayer(b, Config{Cassette: c, Host: manyHost})
			paths := make([]string, items)
			for i := range paths {
				paths[i] = "/items/" + strconv.Itoa(i+1)
			}
			req := request("GET", "/items/1", "Origin: "+manyOrigin)
			w := &discardWriter{h: http.Header{}}
			rnd := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			for b.Loop() {
				req.URL.Path = paths[rnd.IntN(len(paths))]
				clear(w.h)
				r.ServeHTTP(w, req)
			}
			if st := r.Stats(); st.Misses > 0 {
				b.Fatalf("misses: %+v", st)
			}
		})
	}
}

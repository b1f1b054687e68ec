//go:build unix

package recorder

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/martian/v3"
)

// BenchmarkThroughput measures the recorder against plain martian
// (martian.NewProxy with a pooled upstream http.Transport) and against the
// bare origin, with the same in-process load generator: 1, 16 and 64
// concurrent keep-alive clients, each on its own connection, sending
// Chrome-like CORS GETs. Each target has its own loopback net/http origin,
// so upstream connections are counted per target.
//
// Reported per sub-benchmark:
//   - origin-req/s, martian-req/s, recorder-req/s: throughput of each;
//   - recorder/martian: the ratio (target: >= 0.9);
//   - origin-, martian-, recorder-cpu-µs/req: CPU time of the whole process
//     (clients, proxy, origin) per request, and recorder/martian-cpu, the
//     throughput ratio those imply (martian's CPU per request over the
//     recorder's): on a shared machine the steadier figure;
//   - martian-upstream-conns, recorder-upstream-conns: TCP connections the
//     origin accepted from each proxy;
//   - lost: exchanges sent through the recorder and not recorded (always
//     0, or the benchmark fails).
//
// The three targets take turns, rounds times b.N/rounds requests each, so
// that load from other processes weighs on all of them alike. Run it with a
// duration, e.g. -benchtime=4s; profile with -cpuprofile and -run '^$'
// -bench 'Throughput/conns=64'.
func BenchmarkThroughput(b *testing.B) {
	for _, conns := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) { benchThroughput(b, conns) })
	}
}

// rounds is how many times the three targets take turns, b.N/rounds
// requests each time.
const rounds = 8

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

// benchHost is the authority the clients name; each proxy maps it to its
// origin.
const benchHost = "localhost:8000"

func benchThroughput(b *testing.B, conns int) {
	body := []byte(`{"items":[{"id":1,"name":"apple"},{"id":2,"name":"pear"}],"total":2}` + "\n")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "X-Request-Id")
		h.Set("Vary", "Origin")
		h.Set("Content-Type", "application/json")
		h.Set("X-Request-Id", "3f2a9c")
		h.Set("Cache-Control", "no-store")
		w.Write(body)
	})
	// Every goroutine a server starts inherits the label of the
	// goroutine that started it, so a CPU profile of this benchmark splits
	// by target: go tool pprof -tagfocus target=recorder (or martian,
	// origin).
	labelled := func(target string) func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("target", target)))
		return func() { pprof.SetGoroutineLabels(context.Background()) }
	}
	unlabel := labelled("origin")
	direct := startCountingOrigin(b, handler)
	viaMartian := startCountingOrigin(b, handler)
	viaRecorder := startCountingOrigin(b, handler)
	unlabel()

	unlabel = labelled("martian")
	mp := startPlainMartian(b, viaMartian.addr)
	unlabel()
	unlabel = labelled("recorder")
	rec, err := Start(Config{
		Hosts:     []string{benchHost},
		Upstreams: map[string]string{benchHost: viaRecorder.addr},
	})
	unlabel()
	if err != nil {
		b.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			rec.Close()
		}
	}()

	origin := newLoad(b, conns, "", "http://"+direct.addr+"/api/items?page=1")
	martianLoad := newLoad(b, conns, mp, "http://"+benchHost+"/api/items?page=1")
	recorderLoad := newLoad(b, conns, rec.URL(), "http://"+benchHost+"/api/items?page=1")
	defer origin.close()
	defer martianLoad.close()
	defer recorderLoad.close()
	// Connections are opened (and the first request of each client sent)
	// before the clock starts.
	origin.warm(b)
	martianLoad.warm(b)
	recorderLoad.warm(b)

	b.ResetTimer()
	var tOrigin, tMartian, tRecorder time.Duration
	var cOrigin, cMartian, cRecorder time.Duration
	for i := range rounds {
		n := b.N/rounds + btoi(i < b.N%rounds)
		d, c := origin.run(b, n)
		tOrigin, cOrigin = tOrigin+d, cOrigin+c
		d, c = martianLoad.run(b, n)
		tMartian, cMartian = tMartian+d, cMartian+c
		d, c = recorderLoad.run(b, n)
		tRecorder, cRecorder = tRecorder+d, cRecorder+c
	}
	b.StopTimer()

	mConns, rConns := viaMartian.accepted.Load(), viaRecorder.accepted.Load() // warm-up included
	origin.close()
	martianLoad.close()
	recorderLoad.close()
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
	closed = true
	sent := int(recorderLoad.sent.Load())
	lost := sent - len(rec.Interactions())
	if f := rec.Failures(); len(f) > 0 {
		b.Fatalf("recorder failures: %d, first: %v", len(f), f[0])
	}
	if lost != 0 {
		b.Fatalf("recorder lost %d of %d exchanges", lost, sent)
	}

	rate := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
	b.ReportMetric(rate(tOrigin), "origin-req/s")
	b.ReportMetric(rate(tMartian), "martian-req/s")
	b.ReportMetric(rate(tRecorder), "recorder-req/s")
	b.ReportMetric(tMartian.Seconds()/tRecorder.Seconds(), "recorder/martian")
	perReq := func(c time.Duration) float64 { return float64(c.Microseconds()) / float64(b.N) }
	b.ReportMetric(perReq(cOrigin), "origin-cpu-µs/req")
	b.ReportMetric(perReq(cMartian), "martian-cpu-µs/req")
	b.ReportMetric(perReq(cRecorder), "recorder-cpu-µs/req")
	b.ReportMetric(cMartian.Seconds()/cRecorder.Seconds(), "recorder/martian-cpu")
	b.ReportMetric(float64(mConns), "martian-upstream-conns")
	b.ReportMetric(float64(rConns), "recorder-upstream-conns")
	b.ReportMetric(float64(lost), "lost")
}

// countingOrigin is a loopback net/http origin that counts the connections
// it accepts.
type countingOrigin struct {
	addr     string
	accepted atomic.Int64
}

func startCountingOrigin(b *testing.B, h http.Handler) *countingOrigin {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	o := &countingOrigin{addr: ln.Addr().String()}
	srv := &http.Server{Handler: h, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			o.accepted.Add(1)
		}
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	b.Cleanup(func() {
		srv.Close()
		<-done
	})
	return o
}

// startPlainMartian starts martian as a reference: no modifiers, an
// upstream http.Transport that keeps as many idle connections as the
// clients need, dialing addr for every host. It returns the proxy URL.
func startPlainMartian(b *testing.B, addr string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	}
	p := martian.NewProxy()
	p.SetRoundTripper(tr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Serve(ln)
	}()
	b.Cleanup(func() {
		ln.Close()
		p.Close()
		<-done
		tr.CloseIdleConnections()
	})
	return "http://" + ln.Addr().String()
}

// load is an in-process load generator: conns clients, each with its own
// keep-alive connection (through proxy when set), sending the same GET.
type load struct {
	clients []*http.Client
	trs     []*http.Transport
	url     string
	sent    atomic.Int64
	once    sync.Once
}

func newLoad(b *testing.B, conns int, proxy, target string) *load {
	b.Helper()
	l := &load{url: target}
	var pu *url.URL
	if proxy != "" {
		var err error
		if pu, err = url.Parse(proxy); err != nil {
			b.Fatal(err)
		}
	}
	for range conns {
		tr := &http.Transport{
			DisableCompression:  true,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
		}
		if pu != nil {
			tr.Proxy = http.ProxyURL(pu)
		}
		l.trs = append(l.trs, tr)
		l.clients = append(l.clients, &http.Client{Transport: tr})
	}
	return l
}

// request is a GET as Chrome sends it for fetch() from another origin.
func (l *load) request(b *testing.B) *http.Request {
	req, err := http.NewRequest(http.MethodGet, l.url, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := req.Header
	h.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36")
	h.Set("Accept", "*/*")
	h.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	h.Set("Accept-Language", "en-US,en;q=0.9")
	h.Set("Origin", "http://localhost:8080")
	h.Set("Referer", "http://localhost:8080/")
	h.Set("Sec-Fetch-Dest", "empty")
	h.Set("Sec-Fetch-Mode", "cors")
	h.Set("Sec-Fetch-Site", "same-site")
	return req
}

// warm sends one request per client, opening its connection.
func (l *load) warm(b *testing.B) {
	var wg sync.WaitGroup
	errs := make(chan error, len(l.clients))
	for _, c := range l.clients {
		wg.Go(func() { errs <- l.do(b, c) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func (l *load) do(b *testing.B, c *http.Client) error {
	res, err := c.Do(l.request(b))
	if err != nil {
		return err
	}
	l.sent.Add(1)
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", res.StatusCode)
	}
	return err
}

// run sends n requests, spread over the clients, and returns how long they
// took and the CPU time the process (load generator, proxy and origin) used
// meanwhile: on a machine shared with other work, CPU per request is the
// steadier measure of cost.
func (l *load) run(b *testing.B, n int) (elapsed, cpu time.Duration) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var first sync.Once
	var failed error
	cpu0 := processCPU(b)
	start := time.Now()
	for _, c := range l.clients {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := l.do(b, c); err != nil {
					first.Do(func() { failed = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu = time.Since(start), processCPU(b)-cpu0
	if failed != nil {
		b.Fatal(failed)
	}
	return elapsed, cpu
}

// processCPU is the user and system CPU time the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (l *load) close() {
	l.once.Do(func() {
		for _, tr := range l.trs {
			tr.CloseIdleConnections()
		}
	})
}

// Command martianref is the reference `make bench` measures the recorder
// against: plain martian, as its README shows it, with a pooled upstream
// transport and nothing recorded. It prints "listening http://ADDR" when
// ready and stops on SIGTERM or SIGINT.
//
// It lives under recorder/ because recorder is the only importer of
// martian; it is a command, not an API.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/google/martian/v3"
	mlog "github.com/google/martian/v3/log"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "listen address (loopback)")
	profile := flag.String("cpuprofile", "", "write the CPU profile to `file`")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatalf("martianref: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("martianref: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	mlog.SetLevel(mlog.Silent)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("martianref: %v", err)
	}
	p := martian.NewProxy()
	p.SetRoundTripper(&http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	})
	go func() { _ = p.Serve(ln) }()
	fmt.Printf("listening http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	p.Close()
}

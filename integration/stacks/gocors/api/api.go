// Package api is the tiny JSON API the Go CORS stacks wrap: every scenario
// serves the same items under its own path prefix, so only the CORS layer
// differs between scenarios. (The scenarios are listed in
// integration/stacks_test.go.)
package api

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Items answers GET and PUT with a JSON list and an X-Total-Count header,
// the header the check scripts try to read.
func Items() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Total-Count", "2")
		fmt.Fprint(w, `{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}`)
	})
}

// NoDate stops net/http from adding a Date header (wall-clock noise in a
// cassette) to every response h writes, preflights answered by a CORS
// middleware included.
func NoDate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		h.ServeHTTP(w, r)
	})
}

// Serve serves h on the listener named by the command line: -fd N (a
// listening socket inherited from the test harness) or -addr (default
// 127.0.0.1:0, loopback only). It prints "listening on ADDR" and serves
// until killed.
func Serve(h http.Handler) error {
	fd := flag.Int("fd", -1, "serve on this inherited listening socket")
	addr := flag.String("addr", "127.0.0.1:0", "listen address when -fd is not given")
	flag.Parse()
	var ln net.Listener
	var err error
	if *fd >= 0 {
		f := os.NewFile(uintptr(*fd), "listener")
		if f == nil {
			return fmt.Errorf("fd %d: not open", *fd)
		}
		ln, err = net.FileListener(f)
		f.Close()
	} else {
		ln, err = net.Listen("tcp", *addr)
	}
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: NoDate(h), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/recorder"
)

// A role is one process the harness measures or uses: `bench ROLE flags…`.
var roles = map[string]func(args []string) error{
	"origin":   roleOrigin,
	"recorder": roleRecorder,
	"gen":      roleGen,
	"load":     roleLoad,
	"save":     roleSave,
}

// untilSignal blocks until SIGTERM or SIGINT.
func untilSignal() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
}

// roleOrigin is the bare net/http origin: the API of the generated
// cassettes, answering the same bytes.
func roleOrigin(args []string) error {
	fs := flag.NewFlagSet("origin", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:0", "listen address")
	_ = fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var conns atomic.Int64
	srv := &http.Server{
		Handler:           http.HandlerFunc(serveItem),
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("listening http://%s\n", ln.Addr())
	untilSignal()
	err = srv.Close()
	fmt.Printf("connections %d\n", conns.Load())
	return err
}

func serveItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/items/"))
	if err != nil || !strings.HasPrefix(r.URL.Path, "/items/") {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if r.Method == http.MethodOptions {
		for _, kv := range preflightHeaders {
			h[kv[0]] = []string{kv[1]}
		}
		h["Content-Length"] = []string{"0"}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body := itemBody(id)
	for _, kv := range apiResponseHeaders {
		h[kv[0]] = []string{kv[1]}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	_, _ = w.Write(body)
}

// roleRecorder is corsvcr's recording proxy in front of the origin,
// recording every exchange to it; at exit it prints how many it holds.
func roleRecorder(args []string) error {
	fs := flag.NewFlagSet("recorder", flag.ExitOnError)
	origin := fs.String("origin", "", "authority of the origin to record")
	profile := fs.String("cpuprofile", "", "write the recorder's CPU profile to `file`")
	_ = fs.Parse(args)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rec, err := recorder.Start(recorder.Config{Hosts: []string{*origin}})
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", rec.URL())
	untilSignal()
	err = rec.Close()
	fmt.Printf("recorded %d failures %d\n", len(rec.Interactions()), len(rec.Failures()))
	return err
}

// roleGen writes a generated cassette of n interactions, and the same
// cassette as JSON (the reference format) next to it.
func roleGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 10, "interactions")
	out := fs.String("out", "", "cassette path")
	_ = fs.Parse(args)
	c := generate(*n)
	if err := cassettes.Save(*out, c); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(*out+".json", b, 0o644)
}

// measurement is what the load and save roles print, as JSON.
type measurement struct {
	Seconds    float64 `json:"seconds"`
	AllocBytes uint64  `json:"alloc_bytes"`
	FileBytes  int64   `json:"file_bytes"`
	Items      int     `json:"items"`
	// PeakExtra is how far the process's peak RSS rose above its RSS just
	// before the measured operation: the operation's own memory.
	PeakExtra int64 `json:"peak_extra"`
}

// roleLoad loads a cassette (or, with -json, the JSON reference) once.
// Peak RSS comes from the parent's rusage of this process.
func roleLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	path := fs.String("file", "", "file to load")
	asJSON := fs.Bool("json", false, "decode the JSON reference with encoding/json")
	_ = fs.Parse(args)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	base, _ := pidStats(os.Getpid())
	t0 := time.Now()
	var c *cassettes.Cassette
	if *asJSON {
		b, err := os.ReadFile(*path)
		if err != nil {
			return err
		}
		c = new(cassettes.Cassette)
		if err := json.Unmarshal(b, c); err != nil {
			return err
		}
	} else {
		var err error
		if c, err = cassettes.Load(*path); err != nil {
			return err
		}
	}
	return report(t0, &before, base, *path, len(c.Interactions))
}

// roleSave generates n interactions in memory, then saves them once
// (with -json: encoding/json and a plain write, the reference).
func roleSave(args []string) error {
	fs := flag.NewFlagSet("save", flag.ExitOnError)
	n := fs.Int("n", 10, "interactions")
	path := fs.String("out", "", "file to write")
	asJSON := fs.Bool("json", false, "encode with encoding/json (reference)")
	_ = fs.Parse(args)
	c := generate(*n)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	base, _ := pidStats(os.Getpid())
	t0 := time.Now()
	if *asJSON {
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*path, b, 0o644); err != nil {
			return err
		}
	} else if err := cassettes.Save(*path, c); err != nil {
		return err
	}
	return report(t0, &before, base, *path, len(c.Interactions))
}

func report(t0 time.Time, before *runtime.MemStats, base stats, path string, items int) error {
	secs := time.Since(t0).Seconds()
	peak, _ := pidStats(os.Getpid())
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(measurement{
		Seconds: secs, AllocBytes: after.TotalAlloc - before.TotalAlloc, FileBytes: fi.Size(), Items: items,
		PeakExtra: max(0, peak.hwm-base.rss),
	})
}

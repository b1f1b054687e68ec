// Command rssprobe measures the peak resident memory of one cassette
// operation in a process of its own (issue 11), for the figures a Go
// benchmark cannot give:
//
//	go run ./cassettes/internal/rssprobe -gen 100000 -o /tmp/c.yaml
//	go run ./cassettes/internal/rssprobe -load /tmp/c.yaml
//	go run ./cassettes/internal/rssprobe -save 50000 -o /tmp/c.yaml
//
// It prints the wall and CPU time of the operation, the bytes it allocated,
// and the
// process's peak RSS (getrusage ru_maxrss) before and after it.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

func main() {
	gen := flag.Int("gen", 0, "write a generated cassette of `N` interactions to -o")
	save := flag.Int("save", 0, "generate `N` interactions, then measure saving them to -o")
	load := flag.String("load", "", "measure loading the cassette at `PATH`")
	out := flag.String("o", "", "output `PATH`")
	flag.Parse()
	if err := run(*gen, *save, *load, *out); err != nil {
		fmt.Fprintln(os.Stderr, "rssprobe:", err)
		os.Exit(1)
	}
}

func run(gen, save int, load, out string) error {
	switch {
	case gen > 0:
		return cassettes.Save(out, cassettestest.Generate(gen))
	case save > 0:
		c := cassettestest.Generate(save)
		return measure("save", func() error { return cassettes.Save(out, c) })
	case load != "":
		var c *cassettes.Cassette
		err := measure("load", func() (err error) {
			c, err = cassettes.Load(load)
			return err
		})
		runtime.KeepAlive(c)
		return err
	}
	return fmt.Errorf("nothing to do: give -gen, -save or -load")
}

func measure(op string, f func() error) error {
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rss0, cpu0 := usage()
	start := time.Now()
	if err := f(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms1)
	rss1, cpu1 := usage()
	fmt.Printf("%s: %v wall, %v CPU, allocated %.1f MiB, peak RSS %.1f MiB (%.1f MiB before)\n",
		op, elapsed.Round(time.Millisecond), (cpu1 - cpu0).Round(time.Millisecond), float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20),
		float64(rss1)/(1<<20), float64(rss0)/(1<<20))
	return nil
}

// usage returns the peak resident set size of the process in bytes and
// the CPU time (user and system) it has used: on a loaded machine the CPU
// time says more than the wall time.
func usage() (maxRSS int64, cpu time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return ru.Maxrss * 1024, // kilobytes on Linux
		time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

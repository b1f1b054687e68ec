// Package loadgen is a cheap HTTP/1.1 load generator for replay's
// benchmarks and the servebench command: keep-alive connections that each
// write one fixed request and read its response, with no client library in
// the way, so that nearly all the CPU a measurement spends is the server's.
package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// Load sends n copies of req (a complete HTTP/1.1 request without a body,
// or with one its Content-Length frames) to addr over conns keep-alive
// connections, at most one request in flight on each, and reads every
// response. It returns the first error: a connection failure, or a
// response that is not 200 or not framed by Content-Length.
func Load(addr string, conns, n int, req []byte) error {
	return LoadEach(addr, conns, n, func(dst []byte, _ *rand.Rand) []byte { return req })
}

// LoadEach is Load with a request built for each send: next returns the
// request to send. Each connection calls it with its own rnd (seeded by the
// connection's number, so a run is repeatable), never concurrently, and dst
// set to what next returned last time, emptied: next either appends the
// request to dst (reusing its memory) every time, or ignores dst and
// returns slices it never writes to (as Load does); mixing the two could
// write into a slice another connection is sending.
func LoadEach(addr string, conns, n int, next func(dst []byte, rnd *rand.Rand) []byte) error {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for ci := range min(conns, max(n, 1)) {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- fmt.Errorf("loadgen: %w", err)
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 4096)
			rnd := rand.New(rand.NewPCG(uint64(ci), 0x636f727376637200))
			var buf []byte
			for left.Add(-1) >= 0 {
				req := next(buf[:0], rnd)
				buf = req
				if _, err := c.Write(req); err != nil {
					errs <- fmt.Errorf("loadgen: %w", err)
					return
				}
				if _, err := ReadResponse(br); err != nil {
					errs <- fmt.Errorf("loadgen: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// ReadResponse reads one response from br and returns its length in bytes.
// The status must be 200 and the body framed by Content-Length.
func ReadResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return 0, fmt.Errorf("status line %q", line)
	}
	size, length := len(line), -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		size += len(line)
		if len(line) <= 2 {
			break
		}
		if name, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return 0, fmt.Errorf("Content-Length %q: %w", v, err)
			}
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	_, err = br.Discard(length)
	return size + length, err
}

// Raw sends req once on a new connection to addr and returns the response
// exactly as received (status line, header and body).
func Raw(addr string, req []byte) ([]byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	defer c.Close()
	if _, err := c.Write(req); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	var buf bytes.Buffer
	br := bufio.NewReader(&teeConn{c: c, w: &buf})
	n, err := ReadResponse(br)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return buf.Bytes()[:n], nil
}

// teeConn copies what is read from c to w.
type teeConn struct {
	c net.Conn
	w *bytes.Buffer
}

func (t *teeConn) Read(p []byte) (int, error) {
	n, err := t.c.Read(p)
	t.w.Write(p[:n])
	return n, err
}

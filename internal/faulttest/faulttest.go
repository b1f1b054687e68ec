// Package faulttest serves broken HTTP origins on loopback for tests: an
// origin that reads a request head and then fails the way the test says
// (closes, resets, hangs, cuts a body off), for the recorder, browser and
// end-to-end tests of network failures.
package faulttest

import (
	"bufio"
	"net"
	"sync"
	"testing"
)

// Origin listens on 127.0.0.1 and, on each connection, reads one request
// head and hands the connection to fault, which ends it (the connection is
// closed when fault returns). It returns the address. It stops when the
// test ends: done is closed, the listener closed, and every fault returned.
func Origin(t testing.TB, fault func(c *net.TCPConn, done <-chan struct{})) string {
	t.Helper()
	return Raw(t, func(c *net.TCPConn, br *bufio.Reader, done <-chan struct{}) {
		if readHead(br) {
			fault(c, done)
		}
	})
}

// Raw is Origin for an origin that reads and writes the bytes itself: serve
// gets each connection with a reader of it, from its first byte.
func Raw(t testing.TB, serve func(c *net.TCPConn, br *bufio.Reader, done <-chan struct{})) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faulttest: listen: %v", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c.(*net.TCPConn), bufio.NewReader(c), done)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

// readHead reads a request head, reporting whether it was complete.
func readHead(br *bufio.Reader) bool {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

// Reset ends c with a TCP reset.
func Reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

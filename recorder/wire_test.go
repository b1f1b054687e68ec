package recorder

import (
	"bufio"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// feedSplit feeds data to a fresh requestStream in pieces of n bytes (0: all
// at once) and returns its queue and whether it gave up.
func feedSplit(data string, n int, tunnel bool) ([]rawBlock, bool) {
	s := &requestStream{tunnelConnect: tunnel}
	b := []byte(data)
	if n == 0 {
		n = len(b)
	}
	for len(b) > 0 {
		k := min(n, len(b))
		s.feed(b[:k])
		b = b[k:]
	}
	return s.queue, s.state == stOpaque
}

func TestRequestStream(t *testing.T) {
	t.Parallel()
	const body = "\r\n\r\nGET /not-a-request HTTP/1.1\r\n\r\n"
	tests := []struct {
		name   string
		data   string
		tunnel bool
		starts []string
		opaque bool
	}{
		{
			name: "pipelined with bodies",
			data: "\r\nPOST /a HTTP/1.1\r\nHost: h\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body +
				"put /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
				strconv.FormatInt(int64(len(body)), 16) + ";x=y\r\n" + body + "\r\n0\r\nT: 1\r\n\r\n" +
				"GET /c HTTP/1.1\nHost: h\n\n",
			starts: []string{"POST /a HTTP/1.1", "put /b HTTP/1.1", "GET /c HTTP/1.1"},
		},
		{
			name:   "refused CONNECT keeps HTTP",
			data:   "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n",
			starts: []string{"CONNECT h:443 HTTP/1.1", "GET /d HTTP/1.1"},
		},
		{
			name:   "CONNECT tunnel is opaque",
			data:   "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n\x16\x03\x01GET /e HTTP/1.1\r\n\r\n",
			tunnel: true,
			starts: []string{"CONNECT h:443 HTTP/1.1"},
			opaque: true,
		},
		{
			name:   "bad chunk size gives up",
			data:   "POST /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /g HTTP/1.1\r\n\r\n",
			starts: []string{"POST /f HTTP/1.1"},
			opaque: true,
		},
		{
			name:   "conflicting Content-Length gives up",
			data:   "POST /f HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
			starts: []string{"POST /f HTTP/1.1"},
			opaque: true,
		},
	}
	for _, tt := range tests {
		for _, n := range []int{1, 2, 7, 0} {
			q, opaque := feedSplit(tt.data, n, tt.tunnel)
			var starts []string
			for _, b := range q {
				starts = append(starts, b.start)
			}
			assert.Equal(t, tt.starts, starts, "%s, split %d", tt.name, n)
			assert.Equal(t, tt.opaque, opaque, "%s, split %d", tt.name, n)
		}
	}
}

func TestParseBlock(t *testing.T) {
	t.Parallel()
	blk, err := parseBlock([]byte("GET / HTTP/1.1\r\nx-A:  v 1 \r\nEmpty:\r\nX-A: v2\r\n"))
	require.NoError(t, err)
	assert.Equal(t, "GET / HTTP/1.1", blk.start)
	assert.Equal(t, cassettes.Headers{{Name: "x-A", Value: "v 1"}, {Name: "Empty", Value: ""}, {Name: "X-A", Value: "v2"}}, blk.fields())

	for _, bad := range []string{"", "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n", "GET / HTTP/1.1\r\nno colon\r\n", "GET / HTTP/1.1\r\n: v\r\n"} {
		_, err := parseBlock([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestResponseCapture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		data  string
		start string
	}{
		{name: "interim responses skipped", data: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nb: 1\r\n\r\nbody\r\n\r\nHTTP/1.1 500 X\r\n\r\n", start: "HTTP/1.1 200 OK"},
		{name: "101 is final", data: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00", start: "HTTP/1.1 101 Switching Protocols"},
	}
	for _, tt := range tests {
		for _, n := range []int{1, 5, len(tt.data)} {
			var c responseCapture
			c.feed([]byte("stale bytes before arm\r\n\r\n"))
			assert.False(t, c.done)
			c.arm()
			for b := []byte(tt.data); len(b) > 0; {
				k := min(n, len(b))
				c.feed(b[:k])
				b = b[k:]
			}
			require.True(t, c.done, tt.name)
			assert.Equal(t, tt.start, c.got.start, "%s, split %d", tt.name, n)
		}
	}
}

func TestSameHeaders(t *testing.T) {
	t.Parallel()
	raw := cassettes.Headers{
		{Name: "Pragma", Value: "no-cache"},
		{Name: "connection", Value: "x-hop"},
		{Name: "X-Hop", Value: "1"},
		{Name: "content-length", Value: "3"},
		{Name: "Content-Length", Value: "3"},
		{Name: "a", Value: "1"},
		{Name: "A", Value: "2"},
	}
	parsed := http.Header{
		"Pragma":         {"no-cache"},
		"Cache-Control":  {"no-cache"}, // added by net/http
		"Content-Length": {"3"},        // deduplicated by net/http
		"A":              {"1", "2"},
	}
	assert.True(t, sameHeaders(raw, parsed))
	parsed["A"] = []string{"2", "1"}
	assert.False(t, sameHeaders(raw, parsed), "order of one name's values matters")
}

// FuzzRequestStream checks that the stream parser never panics and does not
// depend on how reads split the bytes.
func FuzzRequestStream(f *testing.F) {
	f.Add("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n", uint8(1))
	f.Add("PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", uint8(2))
	f.Add("CONNECT h:1 HTTP/1.1\r\n\r\n\r\n", uint8(3))
	f.Add(strings.Repeat("GET /a HTTP/1.1\r\nA: 1\r\n\r\n", 4)+"GET /b HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nGET /c HTTP/1.1\r\nA: 1\r\n\n", uint8(7))
	f.Add(strings.Repeat("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 4), uint8(40))
	// A block of the memo's fields split across reads (blockMemo.complete
	// must leave it to the scanner).
	f.Add("00000000000\nA: 1 \n\r\n0000000000000000\nA: 1\r\n\r\n0000000000000000\nA: 1\r\n\n", uint8(';'))
	f.Fuzz(func(t *testing.T, data string, split uint8) {
		whole, wholeOpaque := feedSplit(data, 0, false)
		parts, partsOpaque := feedSplit(data, int(split)+1, false)
		if wholeOpaque != partsOpaque || len(whole) != len(parts) {
			t.Fatalf("split %d: %d blocks (opaque %v), whole: %d (opaque %v)", split+1, len(parts), partsOpaque, len(whole), wholeOpaque)
		}
		for i := range whole {
			if whole[i].start != parts[i].start || whole[i].enc != parts[i].enc || whole[i].may != parts[i].may {
				t.Fatalf("block %d: %q %q %b != %q %q %b", i, parts[i].start, parts[i].enc, parts[i].may, whole[i].start, whole[i].enc, whole[i].may)
			}
		}
	})
}

// sameHeaders reports whether the raw lines say what net/http parsed into
// parsed. Pragma-only requests are tolerated: net/http adds
// "Cache-Control: no-cache" to them.
func sameHeaders(raw cassettes.Headers, parsed http.Header, skip ...string) bool {
	p := parsed.Clone()
	dropHopByHop(p)
	return matchParsed(stripHopByHop(raw), p, skip...)
}

// matchFast itself (not its map-based fallback) shows the raw lines of
// Chrome-shaped requests and of typical responses equal to what net/http
// parses from the same bytes, and tells them apart from a changed value.
func TestMatchFastOnRealBlocks(t *testing.T) {
	t.Parallel()
	requests := []string{
		"GET http://api.test:8000/items/1 HTTP/1.1\r\nHost: api.test:8000\r\nProxy-Connection: keep-alive\r\n" +
			"sec-ch-ua-platform: \"Linux\"\r\nUser-Agent: Mozilla/5.0 HeadlessChrome/156\r\nsec-ch-ua: \"Chromium\";v=\"156\"\r\n" +
			"sec-ch-ua-mobile: ?0\r\nAccept: */*\r\nOrigin: http://app.test:8080\r\nSec-Fetch-Site: cross-site\r\n" +
			"Sec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\nReferer: http://app.test:8080/\r\n" +
			"Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n",
		"OPTIONS http://api.test:8000/items/1 HTTP/1.1\r\nHost: api.test:8000\r\nProxy-Connection: keep-alive\r\nAccept: */*\r\n" +
			"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type,x-token\r\nOrigin: http://app.test:8080\r\n" +
			"Pragma: no-cache\r\nCache-Control: no-cache\r\n\r\n",
		"POST http://api.test:8000/login HTTP/1.1\r\nHost: api.test:8000\r\nContent-Length: 2\r\nContent-Length: 2\r\ncontent-type: application/json\r\n" +
			"Cookie: a=1\r\nCookie: b=2\r\nOrigin: http://app.test:8080\r\n\r\n{}",
	}
	for _, raw := range requests {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		require.NoError(t, err)
		dropHopByHop(req.Header)
		head, _, _ := strings.Cut(raw, "\r\n\r\n")
		blk, err := parseBlock([]byte(head))
		require.NoError(t, err)
		kept := keptFields(nil, blk.enc, blk.may)
		assert.True(t, matchFast(kept, req.Header, []string{"Host"}), "request %q", blk.start)
		req.Header.Set("Origin", "http://other.test")
		assert.False(t, matchParsed(kept, req.Header, "Host"), "request %q with a changed Origin", blk.start)
	}
	responses := []string{
		"HTTP/1.1 200 OK\r\naccess-control-allow-origin: http://app.test:8080\r\nVary: Origin\r\nVary: Accept-Encoding\r\n" +
			"Access-Control-Allow-Credentials: true\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n" +
			"Content-Type: application/json\r\nDate: Thu, 03 Dec 2026 16:00:00 GMT\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: GET, PUT\r\n" +
			"Access-Control-Allow-Headers: content-type, x-token\r\nAccess-Control-Max-Age: 600\r\n\r\n",
	}
	for _, raw := range responses {
		res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
		require.NoError(t, err)
		dropHopByHop(res.Header)
		head, _, _ := strings.Cut(raw, "\r\n\r\n")
		blk, err := parseBlock([]byte(head))
		require.NoError(t, err)
		kept := keptFields(nil, blk.enc, blk.may)
		assert.True(t, matchFast(kept, res.Header, nil), "response %q", blk.start)
		res.Header["Access-Control-Allow-Origin"] = append(res.Header["Access-Control-Allow-Origin"], "*")
		assert.False(t, matchParsed(kept, res.Header), "response %q with an added value", blk.start)
	}
}

// A block's fields survive their encoding (writeField, nextField) as the
// reference reads them: lengths around 128 (two-byte uvarints), long
// blocks, empty values, a last line with and without its newline.
func TestBlockEncoding(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 126, 127, 128, 129, 255, 16383, 16384, 20000} {
		name := "X-" + strings.Repeat("n", max(n-2, 1))
		val := strings.Repeat("v", n)
		for _, term := range []string{"\r\n", ""} {
			b := "GET / HTTP/1.1\r\nA:\r\n" + name + ": " + val + " \r\nB: \t\r\nLast: x" + term
			start, want, werr := refParseBlock([]byte(b))
			blk, err := parseBlock([]byte(b))
			if (err == nil) != (werr == nil) || blk.start != start || !reflect.DeepEqual(blk.fields(), want) {
				t.Fatalf("n=%d term=%q: got %q %v; want %q %v", n, term, blk.start, err, start, werr)
			}
			if blk.may&mayOddName != 0 {
				t.Fatalf("n=%d: a block of token names has mayOddName", n)
			}
		}
	}
}

// When a block was not the parsed message's, the fallback after a drop by
// its names (undoWireDrop) drops what dropHopByHop alone drops, the names
// the parsed Connection lists included, and the fallback recording has
// none of them.
func TestWireDropFallback(t *testing.T) {
	t.Parallel()
	blk, err := parseBlock([]byte("GET / HTTP/1.1\r\nConnection: x-a\r\nX-B: 1\r\nX-C: 1\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	parsed := http.Header{"Connection": {"x-b"}, "X-B": {"1"}, "X-C": {"2"}} // not what blk says
	want := parsed.Clone()
	dropHopByHop(want)
	got := parsed.Clone()
	connection := dropWireHopByHop(&blk, got)
	req := &http.Request{Method: "GET", RequestURI: "/", Header: got, Host: "h"}
	if h := requestHeaders(blk, true, req); h.wire {
		t.Fatal("a block that is not the parsed message's was accepted")
	}
	undoWireDrop(got, connection) // arrive's fallback
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the fallback %q, dropHopByHop alone %q", got, want)
	}
	if h := requestHeaders(blk, false, req); !reflect.DeepEqual(h.fields(), cassettes.Headers{{Name: "Host", Value: "h"}, {Name: "X-C", Value: "2"}}) {
		t.Errorf("fallback recording %q", h.fields())
	}
}

// The check after a drop by a block's names fails when the parsed header
// still holds a hop-by-hop field the block lacks: it is then dropped, not
// forwarded.
func TestCheckSeesLeftoverHopByHop(t *testing.T) {
	t.Parallel()
	blk, err := parseBlock([]byte("HTTP/1.1 204 No Content\r\nZ: 1\r\nA: 1\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Z": {"1"}, "A": {"1"}, "Keep-Alive": {"timeout=5"}} // another response's parse
	connection := forwardedHeader(&blk, h, true)
	if got := responseHeaders(&blk, &http.Response{StatusCode: 204, Header: h}); got.wire {
		t.Fatalf("block accepted; header forwarded: %q", h)
	}
	undoWireDrop(h, connection)
	if _, ok := h["Keep-Alive"]; ok {
		t.Errorf("Keep-Alive still forwarded: %q", h)
	}
}

// A block whose fields are the connection's last block's is checked
// against what net/http parsed for its own message, as any other: a
// parsed header that says something else (the block was another
// message's) is not shown equal, and the headers fall back.
func TestRepeatedBlockStillChecked(t *testing.T) {
	t.Parallel()
	const head = "GET http://api.test/%d HTTP/1.1\r\nHost: api.test\r\nProxy-Connection: keep-alive\r\nsec-ch-ua-mobile: ?0\r\nOrigin: http://app.test\r\nAccept: */*\r\n\r\n"
	var s requestStream
	for i := range 4 {
		raw := fmt.Sprintf(head, i)
		s.feed([]byte(raw))
		blk, ok := s.pop()
		require.True(t, ok)
		assert.Equal(t, i >= 2, blk.plan != nil, "block %d: a plan from the third alike block on", i)
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		require.NoError(t, err)
		require.True(t, isBlockOf(blk, req))
		dropWireHopByHop(&blk, req.Header)
		assert.NotContains(t, req.Header, "Proxy-Connection")
		assert.True(t, requestHeaders(blk, true, req).wire, "block %d", i)

		changed := req.Clone(t.Context())
		changed.Header.Set("Origin", "http://other.test")
		assert.False(t, requestHeaders(blk, true, changed).wire, "block %d with a changed Origin", i)
		more := req.Clone(t.Context())
		more.Header.Add("Accept", "text/html")
		assert.False(t, requestHeaders(blk, true, more).wire, "block %d with an added value", i)
		extra := req.Clone(t.Context())
		extra.Header.Set("X-Extra", "1")
		assert.False(t, requestHeaders(blk, true, extra).wire, "block %d with an added field", i)
	}
}

// An origin's interim 100 Continue between alike responses does not make
// the memo forget them, and fields longer than maxMemo are never kept.
func TestBlockMemoBounds(t *testing.T) {
	t.Parallel()
	var c responseCapture
	final := "HTTP/1.1 200 OK\r\nVary: Origin\r\nContent-Length: 0\r\n\r\n"
	for i := range 4 {
		c.arm()
		c.feed([]byte("HTTP/1.1 100 Continue\r\n\r\n" + final))
		require.True(t, c.done)
		assert.Equal(t, "HTTP/1.1 200 OK", c.got.start)
		assert.Equal(t, i >= 2, c.got.plan != nil, "response %d", i)
	}
	big := "GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("b", maxMemo) + "\r\n\r\n"
	var s requestStream
	for i := range 3 {
		s.feed([]byte(big))
		blk, ok := s.pop()
		require.True(t, ok)
		assert.Nil(t, blk.plan, "block %d", i)
		assert.Empty(t, s.memo.fields, "block %d", i)
	}
}

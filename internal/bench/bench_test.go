package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The serve section loads /items/1..items(n) of generate(n): a path past
// the last GET would be a replay miss, not a measurement.
func TestItemsMatchesGenerate(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 10, 11, 1000, 100_000} {
		c := generate(n)
		require.Len(t, c.Interactions, n)
		gets := 0
		for _, in := range c.Interactions {
			if in.Request.Method == "GET" {
				gets++
			}
		}
		assert.Equal(t, gets, items(n), "n=%d", n)
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 2s test @ http://127.0.0.1:40000/items/1
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms    2.08ms  30.04ms   91.22%
    Req/Sec     9.01k     1.20k   11.76k    70.00%
  35871 requests in 2.00s, 12.39MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  17927.31
Transfer/sec:      6.19MB
`
	l, err := parseWrk(out)
	require.NoError(t, err)
	assert.Equal(t, load{requests: 35871, seconds: 2, rps: 17927.31, bad: 6}, l)

	_, err = parseWrk("wrk: unknown option")
	assert.ErrorContains(t, err, "unreadable output")
}

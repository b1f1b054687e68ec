package predict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

// TestPredictScriptPart: checks whose requests share a match key and differ
// only in the body and Content-Type, or only in Range, predict their own
// recorded answers in either order and alone, as replay serves them.
func TestPredictScriptPart(t *testing.T) {
	allow := hs("Access-Control-Allow-Origin", page)
	browser := func(extra ...string) cassettes.Headers {
		h := hs("Origin", page, "User-Agent", "HeadlessChrome", "Accept", "*/*", "Sec-Fetch-Mode", "cors")
		return append(h, hs(extra...)...)
	}
	c := &cassettes.Cassette{Version: 1, Interactions: []cassettes.Interaction{
		{Kind: cassettes.KindPreflight,
			Request: cassettes.Request{Method: "OPTIONS", URL: api, Headers: hs("Origin", page,
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")},
			Response: cassettes.Response{Status: 204, Headers: append(hs("Access-Control-Allow-Headers", "content-type",
				"Access-Control-Allow-Methods", "POST"), allow...)}},
		{Kind: cassettes.KindActual,
			Request:  cassettes.Request{Method: "POST", URL: api, Headers: browser("Content-Type", "application/json"), Body: cassettes.Body(`{"a":1}`)},
			Response: cassettes.Response{Status: 400, Headers: allow}},
		{Kind: cassettes.KindActual,
			Request:  cassettes.Request{Method: "POST", URL: api, Headers: browser("Content-Type", "application/x-www-form-urlencoded"), Body: cassettes.Body("a=1")},
			Response: cassettes.Response{Status: 200, Headers: allow}},
		{Kind: cassettes.KindActual,
			Request:  cassettes.Request{Method: "POST", URL: api, Headers: browser("Content-Type", "text/plain;charset=UTF-8"), Body: cassettes.Body("a=1")},
			Response: cassettes.Response{Status: 415, Headers: allow}},
		{Kind: cassettes.KindActual,
			Request:  cassettes.Request{Method: "GET", URL: api, Headers: browser("Range", "bytes=0-3")},
			Response: cassettes.Response{Status: 206, Headers: allow}},
		{Kind: cassettes.KindActual,
			Request:  cassettes.Request{Method: "GET", URL: api, Headers: browser()},
			Response: cassettes.Response{Status: 200, Headers: allow}},
	}}
	checkList := []struct {
		check  checks.Check
		status int
	}{
		{one(checks.Request{URL: api, Method: "POST", Headers: []checks.Header{{Name: "Content-Type", Value: "application/json"}}, Body: `{"a":1}`}), 400},
		{one(checks.Request{URL: api, Method: "POST", Headers: []checks.Header{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}, Body: "a=1"}), 200},
		// A string body without Content-Type: Chrome sends text/plain;charset=UTF-8.
		{one(checks.Request{URL: api, Method: "POST", Body: "a=1"}), 415},
		{one(checks.Request{URL: api, Headers: []checks.Header{{Name: "Range", Value: "bytes=0-3"}}}), 206},
		{one(checks.Request{URL: api}), 200},
	}
	orders := [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {0}, {1}, {2}, {3}, {4}}
	for _, strict := range []bool{false, true} {
		for _, order := range orders {
			sess, err := replay.NewSession(replay.Config{Cassette: c, Strict: strict})
			require.NoError(t, err)
			for _, i := range order {
				res := predict.Predict(checkList[i].check, sess)
				assert.Equal(t, checkList[i].status, res.Verdicts().Last().Status, "strict %v, order %v, check %d (rule: %s)", strict, order, i, res.Steps[0].Rule)
			}
		}
	}
}

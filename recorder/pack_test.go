package recorder

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

// A packed interaction unpacks to exactly what was recorded, nil and empty
// slices kept apart, and shares no memory with it.
func TestPackRoundTrip(t *testing.T) {
	ins := []cassettes.Interaction{
		{},
		{Kind: cassettes.KindPreflight, Request: cassettes.Request{Method: "OPTIONS", URL: "http://a.test/x",
			Headers: cassettes.Headers{}, Body: cassettes.Body{}}, Response: cassettes.Response{Status: 204, Headers: cassettes.Headers{}, Body: cassettes.Body{}}},
		{Kind: cassettes.KindActual, Request: cassettes.Request{Method: "PUT", URL: "http://a.test/ü?q=1",
			Headers: cassettes.Headers{{Name: "Origin", Value: "http://b.test"}, {Name: "X-Empty", Value: ""}, {Name: "", Value: "v"}},
			Body:    cassettes.Body("\x00\xffbin")},
			Response: cassettes.Response{Status: 599, Headers: cassettes.Headers{{Name: "Access-Control-Allow-Origin", Value: "*"}, {Name: "Access-Control-Allow-Origin", Value: "*"}}, Body: cassettes.Body("{}")}},
	}
	ins = append(ins, cassettestest.Generate(200).Interactions...)
	for i, in := range ins {
		p := pack(in)
		got := p.unpack()
		assert.Equal(t, in, got, "interaction %d", i)
		assert.Equal(t, in.Request.Headers == nil, got.Request.Headers == nil, "interaction %d: request headers nil-ness", i)
		assert.Equal(t, in.Request.Body == nil, got.Request.Body == nil, "interaction %d: request body nil-ness", i)
		assert.Equal(t, in.Response.Headers == nil, got.Response.Headers == nil, "interaction %d: response headers nil-ness", i)
		assert.Equal(t, in.Response.Body == nil, got.Response.Body == nil, "interaction %d: response body nil-ness", i)
		if len(got.Response.Body) > 0 {
			got.Response.Body[0] ^= 0xff
			assert.Equal(t, in, p.unpack(), "interaction %d: unpack shares memory", i)
		}
	}
}

package cassettes_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// FuzzDecodeRoundTrip checks that whatever Decode accepts, Encode writes in
// a form that decodes to the same cassette and encodes to the same bytes.
func FuzzDecodeRoundTrip(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/bad/*.yaml"} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cassettes.Decode("fuzz", data)
		if err != nil {
			return
		}
		first, err := cassettes.Encode(c)
		require.NoError(t, err, "Encode refused what Decode accepted")
		back, err := cassettes.Decode("fuzz", first)
		require.NoError(t, err, "Decode refused what Encode wrote:\n%s", first)
		assert.Equal(t, c, back)
		second, err := cassettes.Encode(back)
		require.NoError(t, err)
		assert.Equal(t, string(first), string(second))
	})
}

// FuzzEncodeRoundTrip checks that no string or body byte is lost between
// Encode and Decode, whatever the bytes.
func FuzzEncodeRoundTrip(f *testing.F) {
	for _, it := range tricky().Interactions {
		for _, hd := range it.Response.Headers {
			f.Add(hd.Value, []byte(hd.Value))
		}
		f.Add(it.Request.URL, []byte(it.Request.Body))
	}
	f.Fuzz(func(t *testing.T, s string, body []byte) {
		value := strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == 0 {
				return -1
			}
			return r
		}, s)
		if !utf8.ValidString(s) {
			value = s // strings.Map would replace invalid bytes
			if strings.ContainsAny(s, "\r\n\x00") {
				return
			}
		}
		c := &cassettes.Cassette{
			Version: cassettes.FormatVersion,
			Meta:    cassettes.Meta{Corsvcr: s, Browser: value},
			Interactions: []cassettes.Interaction{{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{
					Method:  "POST",
					URL:     "http://localhost/",
					Headers: h("Origin", value, "X-Value", value),
					Body:    cassettes.Body(s),
				},
				Response: cassettes.Response{Status: 200, Body: body},
			}},
		}
		if len(s) == 0 {
			c.Interactions[0].Request.Body = nil
		}
		if len(body) == 0 {
			c.Interactions[0].Response.Body = nil
		}
		data, err := cassettes.Encode(c)
		require.NoError(t, err)
		got, err := cassettes.Decode("fuzz", data)
		require.NoError(t, err, "Decode refused what Encode wrote:\n%s", data)
		assert.Equal(t, c, got, "encoded as:\n%s", data)
	})
}

package cassettes_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

// The canonical emitter and the fast decoder are checked against the
// references they replace: the YAML library's emitter (EncodeYAML) and
// the general decoder (DecodeGeneral).

// shapeStrings are strings whose YAML style depends on a rule of the
// library's emitter.
var shapeStrings = []string{
	"", "a", "plain words", "a?b", "what?", "a:b", "a: b", "a:", "a #b", "a#b", "#a", "?a", ":a", "-a", "- a", "-",
	"---", "--- x", "...", "... x", "yes", "Yes", "NO", "on", "Off", "y", "n", "true", "True", "null", "Null", "~",
	"123", "-1", "+1", "0x1F", "0o17", "0b101", "1e3", "1_000", ".5", ".inf", "2001-12-14", "<<", "=", "%", "@", "`",
	"'q'", `"dq"`, `it's`, `a"b`, `a\b`, `a\"b'c`, "a'b?c", `x"😀`, "\"\u00a0", `"` + "\ufeff", "a,b", "[a]", "{a}", "a]", "a}",
	" lead", "trail ", "  ", "\t", "a\tb", "a\tb\"", "tab\t", "\ttab", "a\nb", "a\n", "\na", "a \nb", "a\n b", "a\r\nb", "\r",
	"\x00", "\x01\x7f", "\x1b[0m", "\u0085", "a\u0085b", "\u2028", "\u2029x", "\u00a0", "\u00a0x", "\ufeff", "\ufeffabc", "ab\ufeff",
	"\ue000", "\uf8ff", "\ufffd", "\ufffe", "\uffff", "😀", "a😀b", "\U0010FFFF", "Déjà vu", "日本語", "é\"", "ü\\",
	"invalid\xff", "\xc3", strings.Repeat("\xff", 52), strings.Repeat("\xff", 53), strings.Repeat("\xfe", 105), strings.Repeat("\xfe", 106), "\xed\xa0\x80", "http://localhost:8080", "W/\"5-abc\"", "max-age=0, private",
	"text/html; charset=utf-8", "session=x; Path=/; HttpOnly", strings.Repeat("long ", 300) + "end",
}

// shapeBodies are bodies whose encoding depends on a rule: block scalar
// hints, quoting, base64 that reads as a number or a boolean.
var shapeBodies = []string{
	"a", "a\n", "a\nb", "a\nb\n", "a\n\n", "a\n\n\n", "\n", "\n\n", "\na", " a\nb\n", "  a\n", "a\n b\n", "a\n\tb\n",
	"\ta\nb\n", "a \nb\n", "a\n \n", "a\n\nb\n", "a\r\nb\n", "a\rb", "# x\n- y\n", "key: value\n", "...\n---\n",
	"😀\nx\n", "é\nü\n", "\u00a0\nx\n", "x\u00a0\n", "\ufeff\nx", "a\u2028b\n", "a\u0085b\n", "\x00", "\xff\xfe",
	"\x1f\x8b\x08\x00", string(mustB64("1234")), string(mustB64("true")), string(mustB64("NULL")), string(mustB64("0x12")),
	string(mustB64("+123")), string(mustB64("1e10")), string(mustB64("12E4")), string(mustB64("0b+1")), string(mustB64("0o17")),
	string(mustB64("0B11")), string(mustB64("9999999999999999999999999999")), string(mustB64("1E999999")), string(mustB64("0xFFFFFFFFFFFFFFFFFFFFFF")),
	string(mustB64("Null")), string(mustB64("0777")), string(mustB64("+12E+300")),
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// shapes returns a valid cassette holding every shape string as a meta
// field, an origin-map-free header value and a body, request and
// response, with keep-chomped bodies last (the end of the document).
func shapes() *cassettes.Cassette {
	c := &cassettes.Cassette{Version: cassettes.FormatVersion}
	for _, s := range shapeStrings {
		value := s
		if strings.ContainsAny(s, "\r\n\x00") {
			value = strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(s)
		}
		c.Interactions = append(c.Interactions, cassettes.Interaction{
			Kind: cassettes.KindActual,
			Request: cassettes.Request{Method: "GET", URL: "http://localhost/",
				Headers: h("Origin", "http://localhost:8080", "X-V", value)},
			Response: cassettes.Response{Status: 200, Headers: h("X-V", value), Body: cassettes.Body(s)},
		})
	}
	for _, b := range append(shapeBodies, shapeStrings...) {
		c.Interactions = append(c.Interactions, cassettes.Interaction{
			Kind:     cassettes.KindOther,
			Request:  cassettes.Request{Method: "POST", URL: "http://localhost/", Body: cassettes.Body(b)},
			Response: cassettes.Response{Status: 200, Body: cassettes.Body(b)},
		})
	}
	for i := range c.Interactions {
		if len(c.Interactions[i].Request.Body) == 0 {
			c.Interactions[i].Request.Body = nil
		}
		if len(c.Interactions[i].Response.Body) == 0 {
			c.Interactions[i].Response.Body = nil
		}
	}
	return c
}

// corpus returns the cassettes the emitter and the fast decoder are
// compared on: goldens, generated ones, every shape.
func corpus(t *testing.T) map[string]*cassettes.Cassette {
	cs := map[string]*cassettes.Cassette{
		"session": session(t), "tricky": tricky(), "empty": {}, "shapes": shapes(),
		"generated-1000": cassettestest.Generate(1000),
	}
	for _, n := range []int{1, 2, 3, 5, 8, 13, 21, 34} {
		cs[fmt.Sprint("generated-", n)] = cassettestest.Generate(n)
	}
	for _, s := range shapeStrings {
		for _, meta := range []cassettes.Meta{{Corsvcr: s}, {Browser: s}, {Corsvcr: "x", Browser: s}} {
			cs["meta "+s+meta.Corsvcr] = &cassettes.Cassette{Meta: meta}
		}
	}
	for _, b := range append(shapeBodies, shapeStrings...) {
		if b == "" {
			continue
		}
		// A body last in the file: the end of the document.
		cs["last body "+b] = &cassettes.Cassette{Interactions: []cassettes.Interaction{{
			Kind:     cassettes.KindOther,
			Request:  cassettes.Request{Method: "GET", URL: "http://localhost/"},
			Response: cassettes.Response{Status: 200, Body: cassettes.Body(b)},
		}}}
	}
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	for _, file := range files {
		c, err := cassettes.Load(file)
		require.NoError(t, err)
		cs[file] = c
	}
	return cs
}

// TestEncodeMatchesYAMLLibrary proves the canonical emitter writes the
// bytes the YAML library wrote for the same cassette.
func TestEncodeMatchesYAMLLibrary(t *testing.T) {
	t.Parallel()
	for name, c := range corpus(t) {
		want, err := cassettes.EncodeYAML(c)
		require.NoError(t, err, name)
		got, err := cassettes.Encode(c)
		require.NoError(t, err, name)
		if !assert.Equal(t, string(want), string(got), "%s: Encode differs from the YAML library", name) {
			break // one diff says enough
		}
	}
}

// TestFastDecodeMatchesGeneral proves the fast path reads everything
// Encode writes, and reads it as the general decoder does.
func TestFastDecodeMatchesGeneral(t *testing.T) {
	t.Parallel()
	for name, c := range corpus(t) {
		data, err := cassettes.Encode(c)
		require.NoError(t, err, name)
		fast, ok := cassettes.FastDecode(data)
		require.True(t, ok, "%s: the fast path refused what Encode wrote:\n%s", name, data)
		general, err := cassettes.DecodeGeneral(name, data)
		require.NoError(t, err, name)
		if !assert.Equal(t, general, fast, "%s:\n%s", name, data) {
			break
		}
	}
}

// TestDecodeFallsBack checks that files in another layout than Encode's
// (hand-edited) skip the fast path and decode as before, and that invalid
// cassettes give the general decoder's errors.
func TestDecodeFallsBack(t *testing.T) {
	t.Parallel()
	canonical, err := os.ReadFile("testdata/session.yaml")
	require.NoError(t, err)
	want, err := cassettes.DecodeGeneral("x.yaml", canonical)
	require.NoError(t, err)
	edits := []struct {
		name     string
		old, new string
		fast     bool // the fast path reads it too
	}{
		{name: "comment", old: "interactions:\n", new: "interactions: # recorded\n"},
		{name: "key order", old: "    request:\n      method: OPTIONS\n      url: http://localhost:8000/api/v1/stats\n",
			new: "    request:\n      url: http://localhost:8000/api/v1/stats\n      method: OPTIONS\n"},
		{name: "other quoting", old: `- {name: Vary, value: Origin}`, new: `- {name: "Vary", value: 'Origin'}`, fast: true},
		{name: "block header list", old: "        - {name: Vary, value: Origin}\n", new: "        - name: Vary\n          value: Origin\n"},
		{name: "indent 4", old: "version: 1\n", new: "version: 1\n# four\n"},
		{name: "CRLF", old: "\n", new: "\r\n"},
		{name: "document marker", old: "version: 1\n", new: "---\nversion: 1\n"},
		{name: "quoted version", old: "version: 1\n", new: "version: \"1\"\n"},
		{name: "tab in plain", old: "value: POST}", new: "value:\tPOST}"},
	}
	for _, e := range edits {
		data := []byte(strings.Replace(string(canonical), e.old, e.new, 1))
		if e.name == "CRLF" {
			data = []byte(strings.ReplaceAll(string(canonical), e.old, e.new))
		}
		require.NotEqual(t, string(canonical), string(data), e.name)
		_, fast := cassettes.FastDecode(data)
		assert.Equal(t, e.fast, fast, "%s: fast path taken", e.name)
		got, gotErr := cassettes.Decode("x.yaml", data)
		general, generalErr := cassettes.DecodeGeneral("x.yaml", data)
		assert.Equal(t, general, got, e.name)
		assert.Equal(t, errString(generalErr), errString(gotErr), e.name)
		if e.name != "quoted version" {
			assert.Equal(t, want, got, "%s: a hand edit changed the cassette", e.name)
		}
	}

	// Canonical layout, invalid cassette: the fast path parses it, the
	// errors (with lines) come from the general decoder.
	bad := []byte(strings.Replace(string(canonical), "{name: Vary, value: Origin}", "{name: \"Va ry\", value: \"a\\nb\"}", 1))
	_, fast := cassettes.FastDecode(bad)
	require.True(t, fast)
	_, err = cassettes.Decode("x.yaml", bad)
	require.Error(t, err)
	_, generalErr := cassettes.DecodeGeneral("x.yaml", bad)
	assert.Equal(t, generalErr.Error(), err.Error())
	assert.Equal(t, `cassettes: load "x.yaml": interaction 0 (line 22): response.headers[4] "Va ry": not a valid header name`+"\n"+
		`cassettes: load "x.yaml": interaction 0 (line 22): response.headers[4] "Va ry": value contains "\n"`, err.Error())
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzEncodeMatchesYAMLLibrary compares the canonical emitter with the
// YAML library on arbitrary strings in every position: block (meta), flow
// (header values) and bodies.
func FuzzEncodeMatchesYAMLLibrary(f *testing.F) {
	for _, s := range shapeStrings {
		f.Add(s, []byte(s))
	}
	for _, b := range shapeBodies {
		f.Add("x", []byte(b))
	}
	f.Fuzz(func(t *testing.T, s string, body []byte) {
		value := strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(s)
		c := &cassettes.Cassette{
			Meta: cassettes.Meta{Corsvcr: s, Browser: value},
			Interactions: []cassettes.Interaction{{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{Method: "POST", URL: "http://localhost/",
					Headers: h("Origin", value, "X-V", value), Body: cassettes.Body(s)},
				Response: cassettes.Response{Status: 200, Body: body},
			}},
		}
		if len(s) == 0 {
			c.Interactions[0].Request.Body = nil
		}
		if len(body) == 0 {
			c.Interactions[0].Response.Body = nil
		}
		want, err := cassettes.EncodeYAML(c)
		require.NoError(t, err)
		got, err := cassettes.Encode(c)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		fast, ok := cassettes.FastDecode(got)
		require.True(t, ok, "the fast path refused what Encode wrote:\n%s", got)
		general, err := cassettes.DecodeGeneral("fuzz", got)
		require.NoError(t, err)
		require.Equal(t, general, fast)
	})
}

// FuzzDecodeMatchesGeneral checks that Decode (fast path first) and the
// general decoder agree on arbitrary input: same cassette, same errors.
func FuzzDecodeMatchesGeneral(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/bad/*.yaml"} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	long := strings.Repeat("\xff", 60) // base64 in lines, as a block and quoted
	withBinary := &cassettes.Cassette{Meta: cassettes.Meta{Corsvcr: long}, Interactions: []cassettes.Interaction{{
		Kind:     cassettes.KindOther,
		Request:  cassettes.Request{Method: "GET", URL: "http://localhost/", Headers: h("X-V", long)},
		Response: cassettes.Response{Status: 200, Body: cassettes.Body("a\n\n")},
	}}}
	for _, c := range []*cassettes.Cassette{cassettestest.Generate(4), withBinary} {
		data, err := cassettes.Encode(c)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gotErr := cassettes.Decode("fuzz", data)
		want, wantErr := cassettes.DecodeGeneral("fuzz", data)
		require.Equal(t, errString(wantErr), errString(gotErr))
		require.Equal(t, want, got)
	})
}

// TestDecodeCopiesInput checks that a decoded cassette does not share
// memory with the caller's data (only Load, which owns its buffer, lets
// strings share it).
func TestDecodeCopiesInput(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/session.yaml")
	require.NoError(t, err)
	c, err := cassettes.Decode("session.yaml", data)
	require.NoError(t, err)
	want, err := cassettes.Encode(c)
	require.NoError(t, err)
	for i := range data {
		data[i] = 'x'
	}
	got, err := cassettes.Encode(c)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "changing Decode's input changed the cassette")
}

package browsercheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	require.NoError(t, os.WriteFile(page, []byte(`<!doctype html><title>t</title>
<p id="p">hello</p>
<script>console.log("plain", 1); console.error("bad thing"); document.getElementById("p").dataset.n = "7";</script>
<script>undefinedFunction();</script>`), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := browser.Inspect(ctx, "file://"+page, `({text: document.getElementById("p").textContent, n: document.getElementById("p").dataset.n})`)
	require.NoError(t, err)

	var got struct{ Text, N string }
	require.NoError(t, json.Unmarshal(p.Value, &got))
	assert.Equal(t, "hello", got.Text)
	assert.Equal(t, "7", got.N)

	errs := p.Errors()
	require.Len(t, errs, 2, "console: %+v", p.Console)
	assert.Equal(t, "bad thing", errs[0].Text)
	assert.Equal(t, "console-api", errs[0].Source)
	assert.Equal(t, "exception", errs[1].Source)
	assert.Contains(t, errs[1].Text, "undefinedFunction")
	assert.Contains(t, p.Console, browsercheckConsole("log", "console-api", "plain 1"))
	assert.True(t, bytes.HasPrefix(p.Screenshot, []byte("\x89PNG\r\n\x1a\n")), "a PNG screenshot")

	// A script error in the expression is an error, not a value.
	_, err = browser.Inspect(ctx, "file://"+page, `nope.nope`)
	assert.ErrorContains(t, err, "nope is not defined")
}

func browsercheckConsole(level, source, text string) browsercheck.ConsoleMessage {
	return browsercheck.ConsoleMessage{Level: level, Source: source, Text: text}
}

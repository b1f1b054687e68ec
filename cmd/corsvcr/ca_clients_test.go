package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCAClientsPasteable: the snippets of `corsvcr ca` work when pasted
// even when the CA's path has a space and a quote in it (macOS's user
// config dir is ~/Library/Application Support): the shell snippets pass
// the certificate's path as one word, the Go snippet and policies.json
// hold it as a valid string.
func TestCAClientsPasteable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "Application Support", "it's corsvcr")
	code, stdout, stderr := corsvcrRun(t, "ca", "--ca-dir", dir, "--json")
	require.Equal(t, exitOK, code, stderr)
	var info caInfo
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	snippets := map[string]string{}
	for _, c := range info.Clients {
		snippets[strings.Fields(c.Client)[0]] = c.Snippet
	}

	// Shell: run each command line with the program replaced by one that
	// prints the certificate path it was given.
	shell := map[string]struct{ program, with string }{
		"Cypress": {"npx cypress run", "printenv NODE_EXTRA_CA_CERTS"},
		"Node":    {"node app.js", "printenv NODE_EXTRA_CA_CERTS"},
		"curl":    {"curl --proxy", `printf '%s\n' --proxy`},
	}
	for name, s := range shell {
		script := strings.Replace(snippets[name], s.program, s.with, 1)
		require.NotEqual(t, snippets[name], script, name)
		out, err := exec.Command("sh", "-c", script).CombinedOutput()
		require.NoError(t, err, "%s: %s", name, out)
		assert.Contains(t, strings.Split(string(out), "\n"), info.CertFile, "%s: the path is not one word:\n%s", name, script)
	}
	fx := snippets["Firefox"]
	line := fx[strings.Index(fx, "certutil"):]
	line = line[:strings.Index(line, "\n")]
	out, err := exec.Command("sh", "-c", strings.Replace(line, "certutil", `printf '%s\n'`, 1)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, strings.Split(string(out), "\n"), info.CertFile, "Firefox certutil: the path is not one word: %s", line)

	// policies.json is JSON.
	_, js, ok := strings.Cut(fx, "policies.json: ")
	require.True(t, ok)
	var pol struct {
		Policies struct{ Certificates struct{ Install []string } }
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(js)), &pol), js)
	assert.Equal(t, []string{info.CertFile}, pol.Policies.Certificates.Install)

	// Go: the snippet parses, and reads the certificate's path.
	src := "package p\nfunc f() {\n" + snippets["Go"] + "\n_, _ = client, roots\n}\n"
	f, err := parser.ParseFile(token.NewFileSet(), "snippet.go", src, 0)
	require.NoError(t, err, src)
	var read []string
	ast.Inspect(f, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ReadFile" {
				if lit, ok := call.Args[0].(*ast.BasicLit); ok {
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					read = append(read, s)
				}
			}
		}
		return true
	})
	assert.Equal(t, []string{info.CertFile}, read)
}

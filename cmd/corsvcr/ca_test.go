package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

func TestUpstreamFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantKey string
		wantErr string
	}{
		{name: "host and port", in: "localhost:8000=127.0.0.1:9000", wantKey: "localhost:8000"},
		{name: "host alone (default port of the URL's scheme)", in: "API.example.com=127.0.0.1:9443", wantKey: "api.example.com"},
		{name: "ipv6 with port", in: "[::1]:8443=127.0.0.1:9443", wantKey: "[::1]:8443"},
		{name: "no address", in: "api.example.com", wantErr: "is not HOST[:PORT]=ADDR"},
		{name: "url instead of host", in: "https://api.example.com=127.0.0.1:9443", wantErr: "is not HOST or HOST:PORT"},
		{name: "address without port", in: "api.example.com=127.0.0.1", wantErr: "needs a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := upstreamFlag{}
			err := u.Set(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, u, tt.wantKey)
		})
	}
}

func TestUsesHTTPS(t *testing.T) {
	t.Parallel()
	one := func(page, url string) *checks.File {
		return &checks.File{Checks: []checks.Check{{Page: page, Steps: []checks.Step{{Request: checks.Request{URL: url}}}}}}
	}
	cas := func(url string) *cassettes.Cassette {
		return &cassettes.Cassette{Interactions: []cassettes.Interaction{{Request: cassettes.Request{Method: "GET", URL: url}}}}
	}
	tests := []struct {
		name string
		file *checks.File
		cas  *cassettes.Cassette
		want bool
	}{
		{name: "all http", file: one("http://localhost:8080", "http://localhost:8000/"), cas: cas("http://localhost:8000/")},
		{name: "https page", file: one("https://app.example.com", "http://localhost:8000/"), want: true},
		{name: "https request", file: one("http://localhost:8080", "https://api.example.com/"), want: true},
		{name: "https in the cassette only", file: one("http://localhost:8080", "http://localhost:8000/"), cas: cas("HTTPS://api.example.com/"), want: true},
		{name: "nothing", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, usesHTTPS(tt.file, tt.cas))
		})
	}
}

func TestHTTPSCAOnlyWhenNeeded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	c := common{caDir: dir}
	a, err := c.httpsCA(&checks.File{Checks: []checks.Check{{Page: "http://localhost:8080"}}}, nil)
	require.NoError(t, err)
	assert.Nil(t, a)
	_, err = os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "no CA created for plain-HTTP checks")

	a, err = c.httpsCA(&checks.File{Checks: []checks.Check{{Page: "https://app.example.com"}}}, nil)
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, filepath.Join(dir, "ca.pem"), a.CertFile)

	t.Setenv(caDirEnv, filepath.Join(t.TempDir(), "from-env"))
	got, err := resolveCADir("")
	require.NoError(t, err)
	assert.Equal(t, os.Getenv(caDirEnv), got)
	got, err = resolveCADir("flag")
	require.NoError(t, err)
	assert.Equal(t, "flag", got, "the flag wins over the environment")
}

package vcr

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

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
	r, err := New(Config{CADir: dir})
	require.NoError(t, err)
	a, err := r.authority(&checks.File{Checks: []checks.Check{{Page: "http://localhost:8080"}}}, nil)
	require.NoError(t, err)
	assert.Nil(t, a)
	_, err = os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "no CA created for plain-HTTP checks")

	a, err = r.authority(&checks.File{Checks: []checks.Check{{Page: "https://app.example.com"}}}, nil)
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, filepath.Join(dir, "ca.pem"), a.CertFile)

}

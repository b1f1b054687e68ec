package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// TestReportCassetteRedacts: the HTML report shows the cassette redacted as
// a saved one is, without touching the run's own cassette; with
// --keep-secrets it shows it as recorded.
func TestReportCassetteRedacts(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	cas, err := cassettes.Decode("c.yaml", []byte(`version: 1
interactions:
  - kind: actual
    request:
      method: GET
      url: http://localhost:8000/me
      headers:
        - {name: Origin, value: "http://localhost:8080"}
        - {name: Authorization, value: "Bearer `+jwt+`"}
    response:
      status: 200
      headers:
        - {name: Access-Control-Allow-Origin, value: "http://localhost:8080"}
`))
	require.NoError(t, err)
	shown := reportCassette(cas, secretFlags{})
	require.NotNil(t, shown)
	v, _ := shown.Interactions[0].Request.Headers.Get("Authorization")
	assert.Equal(t, "Bearer corsvcr-redacted-1", v)
	v, _ = cas.Interactions[0].Request.Headers.Get("Authorization")
	assert.Equal(t, "Bearer "+jwt, v, "the run's cassette is left as it is")

	kept := reportCassette(cas, secretFlags{keep: true})
	v, _ = kept.Interactions[0].Request.Headers.Get("Authorization")
	assert.Equal(t, "Bearer "+jwt, v)
}

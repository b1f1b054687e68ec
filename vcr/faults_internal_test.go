package vcr

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/recorder"
)

func TestNetworkErrorIsAnErrorNeverAMismatch(t *testing.T) {
	t.Parallel()
	down := checks.Verdict{NetworkError: "net::ERR_EMPTY_RESPONSE"}
	cut := checks.Verdict{Allowed: true, Status: 200, NetworkError: "net::ERR_CONTENT_LENGTH_MISMATCH"}
	tests := []struct {
		name    string
		res     Result
		summary string
	}{
		{name: "verdict", res: Result{Verdicts: checks.Verdicts{down}}, summary: "network error net::ERR_EMPTY_RESPONSE"},
		{name: "body broken off", res: Result{Verdicts: checks.Verdicts{cut}}, summary: "network error net::ERR_CONTENT_LENGTH_MISMATCH after status 200"},
		{name: "a step", res: Result{Verdicts: checks.Verdicts{{Allowed: true}, down}}},
		{name: "recorder failure only", res: Result{Verdicts: checks.Verdicts{{Allowed: true}}, Upstream: []string{"GET http://x/: upstream x:80 unreachable"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, Error, tt.res.Outcome())
			if tt.summary != "" {
				v := tt.res.Verdicts.Last()
				assert.Equal(t, tt.summary, Summary(&v))
			}
		})
	}
}

func TestSaveRunRefusesAnIncompleteRun(t *testing.T) {
	t.Parallel()
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion}
	failed := recorder.Failure{Method: "GET", URL: "http://localhost:9100/x", Host: "localhost:9100",
		Err: errors.New("upstream localhost:9100 unreachable: dial tcp 127.0.0.1:9100: connect: connection refused")}
	tests := []struct {
		name string
		run  Run
		want []string // in the message
	}{
		{name: "failed exchange", run: Run{Failures: []recorder.Failure{failed}},
			want: []string{"1 exchange failed (upstream localhost:9100 unreachable: dial tcp 127.0.0.1:9100: connect: connection refused)"}},
		{name: "interrupted", run: Run{NotRun: 7}, want: []string{"interrupted: 7 checks did not run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			run := tt.run
			run.Cassette = cas
			opts := SaveOptions{IncompleteHint: "force with --x"}

			existing := filepath.Join(dir, "existing.yaml")
			require.NoError(t, os.WriteFile(existing, []byte("precious\n"), 0o644))
			err := SaveRun(existing, &run, opts)
			var ie *IncompleteError
			require.ErrorAs(t, err, &ie)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Contains(t, err.Error(), "the existing file is unchanged; force with --x")
			data, rerr := os.ReadFile(existing)
			require.NoError(t, rerr)
			assert.Equal(t, "precious\n", string(data))

			fresh := filepath.Join(dir, "new.yaml")
			require.ErrorAs(t, SaveRun(fresh, &run, opts), &ie)
			assert.False(t, ie.Exists)
			_, serr := os.Stat(fresh)
			assert.True(t, os.IsNotExist(serr), "no cassette created")

			opts.AllowIncomplete = true
			require.NoError(t, SaveRun(existing, &run, opts))
			got, lerr := cassettes.Load(existing)
			require.NoError(t, lerr)
			assert.Empty(t, got.Interactions)
		})
	}
}

// TestSaveRunAppendsAnIncompleteRecordMissingRun: a record-missing run
// holds only complete recorded exchanges, appended to the replayed
// cassette, so an interrupted or partly failed one is written: appending
// loses nothing.
func TestSaveRunAppendsAnIncompleteRecordMissingRun(t *testing.T) {
	t.Parallel()
	old := cassettes.Interaction{Kind: "other", Request: cassettes.Request{Method: "GET", URL: "http://localhost:9100/old"}, Response: cassettes.Response{Status: 200}}
	added := cassettes.Interaction{Kind: "other", Request: cassettes.Request{Method: "GET", URL: "http://localhost:9100/new"}, Response: cassettes.Response{Status: 200}}
	failed := recorder.Failure{Method: "GET", URL: "http://localhost:9100/x", Host: "localhost:9100", Err: errors.New("upstream localhost:9100: no response within 12s")}
	for _, run := range []Run{{NotRun: 3}, {Failures: []recorder.Failure{failed}}} {
		dir := t.TempDir()
		path := filepath.Join(dir, "c.yaml")
		require.NoError(t, Save(path, &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{old}}, SaveOptions{}))
		run.Cassette = &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{old, added}}
		run.Added, run.appendOnly = 1, true
		require.NoError(t, SaveRun(path, &run, SaveOptions{}))
		got, err := cassettes.Load(path)
		require.NoError(t, err)
		require.Len(t, got.Interactions, 2)
		assert.Equal(t, "http://localhost:9100/old", got.Interactions[0].Request.URL)
		assert.Equal(t, "http://localhost:9100/new", got.Interactions[1].Request.URL)
	}
}

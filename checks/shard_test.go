package checks_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

// shardFile returns a file of n checks named check-0 … check-(n-1).
func shardFile(n int) *checks.File {
	f := &checks.File{Version: 1, Page: "http://localhost:8080"}
	for i := range n {
		f.Checks = append(f.Checks, checks.Check{Name: fmt.Sprintf("check-%d", i), Page: "http://localhost:8080",
			Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8000/x"}}}})
	}
	return f
}

func names(f *checks.File) []string {
	var out []string
	for _, c := range f.Checks {
		out = append(out, c.Name)
	}
	return out
}

// assignment maps each check name to the shard (1..n) holding it, failing
// when a check is in no shard or in several.
func assignment(t *testing.T, f *checks.File, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := 1; i <= n; i++ {
		sh, err := f.Shard(checks.Shard{Index: i, Count: n})
		require.NoError(t, err)
		for _, name := range names(sh) {
			if prev, dup := got[name]; dup {
				t.Fatalf("check %q in shards %d and %d of %d", name, prev, i, n)
			}
			got[name] = i
		}
	}
	return got
}

func TestShardPartition(t *testing.T) {
	t.Parallel()
	f := shardFile(200)
	for _, n := range []int{1, 2, 3, 7, 16, 250} {
		got := assignment(t, f, n)
		// The union is the whole file: every check in exactly one shard.
		assert.Len(t, got, len(f.Checks), "n=%d", n)
		for i := 1; i <= n; i++ {
			sh, err := f.Shard(checks.Shard{Index: i, Count: n})
			require.NoError(t, err)
			// A shard keeps file order.
			assert.True(t, slices.IsSortedFunc(sh.Checks, func(a, b checks.Check) int {
				return slices.Index(names(f), a.Name) - slices.Index(names(f), b.Name)
			}), "shard %d/%d out of file order: %v", i, n, names(sh))
			assert.Equal(t, f.Page, sh.Page)
		}
	}
	// Not everything in one shard: the hash spreads 200 checks over 4.
	counts := map[int]int{}
	for _, s := range assignment(t, f, 4) {
		counts[s]++
	}
	for i := 1; i <= 4; i++ {
		assert.Greater(t, counts[i], 20, "shard %d/4 holds %d of 200 checks", i, counts[i])
	}
}

func TestShardStable(t *testing.T) {
	t.Parallel()
	const n = 5
	f := shardFile(60)
	before := assignment(t, f, n)

	// Reorder the checks and add unrelated ones: no check moves.
	g := shardFile(60)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(g.Checks), func(i, j int) { g.Checks[i], g.Checks[j] = g.Checks[j], g.Checks[i] })
	g.Checks = append(g.Checks[:30:30], append(shardFile(90).Checks[60:], g.Checks[30:]...)...)
	g.Checks = slices.DeleteFunc(g.Checks, func(c checks.Check) bool { return c.Name == "check-7" })
	after := assignment(t, g, n)
	for name, s := range before {
		if name == "check-7" {
			assert.NotContains(t, after, name)
			continue
		}
		assert.Equal(t, s, after[name], "check %q moved", name)
	}
	assert.Len(t, after, 89)
}

func TestParseShard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     checks.Shard
		wantErr  string
	}{
		{name: "first", in: "1/4", want: checks.Shard{Index: 1, Count: 4}},
		{name: "last", in: "4/4", want: checks.Shard{Index: 4, Count: 4}},
		{name: "one", in: "1/1", want: checks.Shard{Index: 1, Count: 1}},
		{name: "zero index", in: "0/4", wantErr: `checks: shard 0/4: want I/N with 1 <= I <= N, e.g. 2/4`},
		{name: "index past count", in: "5/4", wantErr: `checks: shard 5/4: want I/N`},
		{name: "zero count", in: "0/0", wantErr: `checks: shard 0/0: want I/N`},
		{name: "negative", in: "-1/4", wantErr: `checks: shard -1/4: want I/N`},
		{name: "no slash", in: "2", wantErr: `checks: shard "2": want I/N`},
		{name: "not numbers", in: "a/b", wantErr: `checks: shard "a/b": want I/N`},
		{name: "empty", in: "", wantErr: `checks: shard "": want I/N`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := checks.ParseShard(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.ErrorIs(t, err, checks.ErrShard)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, got.String())
		})
	}
	_, err := shardFile(3).Shard(checks.Shard{Index: 3, Count: 2})
	assert.ErrorIs(t, err, checks.ErrShard)
}

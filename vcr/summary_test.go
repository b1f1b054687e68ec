package vcr_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestSummaryORB: an opaque response whose body Chrome blocked by Opaque
// Response Blocking says so (integration/testdata/oracle/orb).
func TestSummaryORB(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    checks.Verdict
		want string
	}{
		{checks.Verdict{Allowed: true, Opaque: true, ORB: true}, "allowed (opaque), body blocked by ORB"},
		{checks.Verdict{Allowed: true, Opaque: true}, "allowed (opaque)"},
	} {
		assert.Equal(t, tc.want, vcr.Summary(&tc.v))
	}
}

package browsercheck

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

// TestCorsErrorsKnownToCDP: the CorsError values check files are checked
// against (internal/fetch) are values of the protocol version browsercheck
// speaks; cdproto rejects unknown ones, so a value it does not know here
// could never be reported.
func TestCorsErrorsKnownToCDP(t *testing.T) {
	for _, e := range fetch.CorsErrors() {
		var v network.CorsError
		if assert.NoError(t, json.Unmarshal([]byte(`"`+e+`"`), &v), e) {
			assert.Equal(t, e, v.String())
		}
	}
}

package suggest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/internal/suggest"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"alowed", "allowed", 1}, {"same", "same", 0}} {
		assert.Equal(t, tt.want, suggest.Distance(tt.a, tt.b), "%q %q", tt.a, tt.b)
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	got, ok := suggest.Closest("methd", []string{"url", "method", "headers"}, 2)
	assert.True(t, ok)
	assert.Equal(t, "method", got)
	_, ok = suggest.Closest("zzzzzz", []string{"url", "method"}, 2)
	assert.False(t, ok, "too far")
	got, ok = suggest.Closest("zzzzzz", []string{"url", "method"}, -1)
	assert.True(t, ok)
	assert.Equal(t, "url", got)
	_, ok = suggest.Closest("x", nil, -1)
	assert.False(t, ok)
}

package browsercheck_test

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
)

// lockedBuffer is a bytes.Buffer safe for chromedp's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestChromedpErrorsGoToLogger: chromedp's error logger is Config.Logger,
// never the standard logger (which would print "ERROR: writing message:
// write |1: broken pipe" to stderr): an error is a warning while the
// browser runs, and expected, at level Debug, once Close has begun.
func TestChromedpErrorsGoToLogger(t *testing.T) {
	// Not parallel: it takes over the standard logger's output.
	var std lockedBuffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&std)

	var logged lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: proxy.URL, Timeout: 3 * time.Second, Logger: logger})
	require.NoError(t, err)
	_, err = b.Check(ctx, preflighted)
	require.NoError(t, err)

	errorf := browsercheck.ChromedpErrorf(b)
	errorf("writing message: %v", syscall.EPIPE)
	assert.Contains(t, logged.String(), `level=WARN msg="chromedp error" err="writing message: broken pipe"`)

	// Chrome gone under chromedp's feet, then Close.
	for _, pid := range browsercheck.ProcessesUsing(browsercheck.ProfileOf(b)) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	require.NoError(t, b.Close())
	errorf("writing message: write |1: %v", syscall.EPIPE)
	assert.Contains(t, logged.String(), `level=DEBUG msg="chromedp error while closing Chrome (expected)" err="writing message: write |1: broken pipe"`)
	assert.NotContains(t, logged.String(), "level=WARN msg=\"chromedp error\" err=\"writing message: write |1", "an error during Close is a warning")

	assert.Empty(t, std.String(), "chromedp wrote to the standard logger")
}

package browsercheck

// Internals for the external tests.

// TempDirOf returns the directory that holds b's profile and TMPDIR.
func TempDirOf(b *Browser) string { return b.tempDir }

// ProfileOf returns b's --user-data-dir.
func ProfileOf(b *Browser) string { return b.profile }

// ProcessesUsing returns the processes running with --user-data-dir=dir.
var ProcessesUsing = processesUsing

// ChromedpErrorf returns the error logger b gives chromedp.
func ChromedpErrorf(b *Browser) func(string, ...any) { return b.chromedpErrorf }

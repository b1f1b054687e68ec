package inputfile_test

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/inputfile"
)

// TestReadRefuses: what is not a regular file is refused at once, naming
// what it is; so is a file over the limit. None of them blocks or reads
// without end.
func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string
		env     string // CORSVCR_MAX_INPUT
		wantErr string
	}{
		{name: "FIFO", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "c.yaml")
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			return p
		}, wantErr: "not a regular file: it is a named pipe (FIFO)"},
		{name: "symlink to /dev/zero", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "c.yaml")
			require.NoError(t, os.Symlink("/dev/zero", p))
			return p
		}, wantErr: "not a regular file: it is a character device"},
		{name: "directory", setup: func(t *testing.T, dir string) string {
			return dir
		}, wantErr: "not a regular file: it is a directory"},
		{name: "socket", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s")
			ln, err := net.Listen("unix", p)
			require.NoError(t, err)
			t.Cleanup(func() { ln.Close() })
			return p
		}, wantErr: "not a regular file: it is a socket"},
		{name: "over the limit", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "c.yaml")
			require.NoError(t, os.WriteFile(p, make([]byte, 3000), 0o644))
			return p
		}, env: "2KiB", wantErr: "file of 2.9 KiB is over the 2 KiB limit for cassettes; raise the limit with CORSVCR_MAX_INPUT, e.g. CORSVCR_MAX_INPUT=1GiB"},
		{name: "over the default limit", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "c.yaml")
			f, err := os.Create(p)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(300<<20)) // sparse: no disk used
			require.NoError(t, f.Close())
			return p
		}, wantErr: "file of 300 MiB is over the 256 MiB limit for cassettes; raise the limit with CORSVCR_MAX_INPUT, e.g. CORSVCR_MAX_INPUT=1GiB"},
		{name: "bad CORSVCR_MAX_INPUT", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "c.yaml")
			require.NoError(t, os.WriteFile(p, nil, 0o644))
			return p
		}, env: "lots", wantErr: `CORSVCR_MAX_INPUT: "lots" is not a size: want a positive number of bytes, optionally with K, M, G, KiB, MiB or GiB, e.g. 1GiB`},
		{name: "missing", setup: func(t *testing.T, dir string) string {
			return filepath.Join(dir, "nope.yaml")
		}, wantErr: "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(inputfile.MaxEnv, tt.env)
			path := tt.setup(t, t.TempDir())
			done := make(chan error, 1)
			go func() {
				_, err := inputfile.Read(path, inputfile.Cassette)
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
			case <-time.After(10 * time.Second):
				t.Fatal("Read blocked")
			}
		})
	}
}

func TestReadTypedErrors(t *testing.T) {
	t.Setenv(inputfile.MaxEnv, "")
	dir := t.TempDir()
	_, err := inputfile.Read(dir, inputfile.Checks)
	var nr *inputfile.NotRegularError
	assert.ErrorAs(t, err, &nr)

	_, err = inputfile.Read(filepath.Join(dir, "nope"), inputfile.Checks)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	p := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(p, make([]byte, 16<<20+1), 0o644))
	_, err = inputfile.Read(p, inputfile.Checks)
	var tl *inputfile.TooLargeError
	require.ErrorAs(t, err, &tl)
	assert.Equal(t, int64(16<<20), tl.Limit)
	assert.Contains(t, err.Error(), "over the 16 MiB limit for check files")
}

// TestReadWithin: a regular file (through a symlink too) is read whole, up
// to the limit exactly; CORSVCR_MAX_INPUT raises the limit.
func TestReadWithin(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(p, make([]byte, 2048), 0o644))
	link := filepath.Join(dir, "link.yaml")
	require.NoError(t, os.Symlink("c.yaml", link))

	t.Setenv(inputfile.MaxEnv, "2k")
	data, err := inputfile.Read(link, inputfile.Cassette)
	require.NoError(t, err)
	assert.Len(t, data, 2048)

	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, make([]byte, 16<<20+1), 0o644))
	t.Setenv(inputfile.MaxEnv, "32MiB")
	_, err = inputfile.Read(big, inputfile.Checks)
	assert.NoError(t, err)
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
	}{
		{in: "1024", want: 1024},
		{in: "512MiB", want: 512 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "2g", want: 2 << 30},
		{in: " 3 M ", want: 3 << 20},
		{in: "10KiB", want: 10 << 10},
		{in: "100B", want: 100},
		{in: "0"},
		{in: "-1"},
		{in: "1TB"},
		{in: "GiB"},
		{in: "99999999999GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := inputfile.ParseSize(tt.in)
			if tt.want == 0 {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestReadOneBuffer checks that a file is read into one buffer of about
// its size, not a buffer grown by doubling (twice the memory for a large
// cassette).
func TestReadOneBuffer(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.yaml")
	want := make([]byte, 3<<20+123)
	for i := range want {
		want[i] = byte('a' + i%26)
	}
	require.NoError(t, os.WriteFile(path, want, 0o644))
	got, err := inputfile.Read(path, inputfile.Cassette)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.LessOrEqual(t, cap(got), len(want)+512, "the buffer grew")
}

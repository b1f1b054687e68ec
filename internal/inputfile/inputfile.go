// Package inputfile reads the files corsvcr is given (cassettes, check
// files, HAR files, PEM files) safely: only regular files, and only up to a
// size limit, so that a path naming a FIFO, a device such as /dev/zero or a
// huge file fails at once with an error saying why, instead of blocking
// forever or running out of memory.
//
// Each Kind of file has its default limit (Cassette, Checks, HAR, PEM). The
// environment variable CORSVCR_MAX_INPUT (MaxEnv) replaces the limit of
// every kind, for the CLI and the Go API alike: a number of bytes, or one
// with a binary suffix (K, M, G, KiB, MiB, GiB: 1024, 1024², 1024³), such
// as 1GiB.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// MaxEnv names the environment variable that replaces every default
// limit.
const MaxEnv = "CORSVCR_MAX_INPUT"

// Kind is a kind of input file, with its default size limit.
type Kind int

// The kinds of input files.
const (
	Cassette Kind = iota // 256 MiB
	Checks               // 16 MiB
	HAR                  // 512 MiB
	PEM                  // 16 MiB: certificates and keys
	Report               // 256 MiB: JSON reports (corsvcr merge)
)

// What is the plural noun of k for messages: "cassettes".
func (k Kind) What() string {
	return [...]string{"cassettes", "check files", "HAR files", "PEM files", "JSON reports"}[k]
}

// DefaultMax is k's limit in bytes when $CORSVCR_MAX_INPUT is not set.
func (k Kind) DefaultMax() int64 {
	return [...]int64{256 << 20, 16 << 20, 512 << 20, 16 << 20, 256 << 20}[k]
}

// NotRegularError reports a path whose target is not a regular file.
type NotRegularError struct {
	Kind string // "directory", "named pipe (FIFO)", "device", "socket", …
}

func (e *NotRegularError) Error() string {
	return "not a regular file: it is a " + e.Kind
}

// TooLargeError reports a file larger than its limit.
type TooLargeError struct {
	What  string // kind of file, as in Kind.What
	Size  int64  // size of the file; 0 when it grew while being read
	Limit int64  // the limit in force
}

func (e *TooLargeError) Error() string {
	size := "more than " + FormatSize(e.Limit)
	if e.Size > 0 {
		size = FormatSize(e.Size)
	}
	want := max(e.Size, e.Limit+1)
	suggest := (want + 1<<30 - 1) >> 30 // GiB, rounded up
	return fmt.Sprintf("file of %s is over the %s limit for %s; raise the limit with %s, e.g. %s=%dGiB",
		size, FormatSize(e.Limit), e.What, MaxEnv, MaxEnv, suggest)
}

// Read returns the content of the regular file at path (symlinks
// followed), refusing any other kind of file with a *NotRegularError and a
// file over the limit with a *TooLargeError. It never blocks on a FIFO.
// Errors do not repeat path, which the caller names; those of the file
// system wrap its cause (fs.ErrNotExist, fs.ErrPermission, …).
func Read(path string, kind Kind) ([]byte, error) {
	limit, err := Max(kind)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, bare(err)
	}
	if err := regular(st); err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, &TooLargeError{What: kind.What(), Size: st.Size(), Limit: limit}
	}
	// Non-blocking, in case path became a FIFO since the Stat.
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, bare(err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, bare(err)
	}
	if err := regular(st); err != nil {
		return nil, err
	}
	data, err := readAll(io.LimitReader(f, limit+1), min(st.Size(), limit))
	if err != nil {
		return nil, bare(err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{What: kind.What(), Limit: limit}
	}
	return data, nil
}

// readAll is io.ReadAll starting with room for size bytes and a little
// more (to see the end, or a file that grew): a 100 MB file costs 100 MB,
// not the two to three times that growing a buffer from 512 bytes costs.
func readAll(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, size+512)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

// Max is the limit in force for kind: $CORSVCR_MAX_INPUT when set, else
// kind.DefaultMax().
func Max(kind Kind) (int64, error) {
	v, ok := os.LookupEnv(MaxEnv)
	if !ok || strings.TrimSpace(v) == "" {
		return kind.DefaultMax(), nil
	}
	n, err := ParseSize(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", MaxEnv, err)
	}
	return n, nil
}

// ParseSize parses a positive size: bytes, or a number with a binary
// suffix K, M, G, KiB, MiB or GiB (case-insensitive).
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: want a positive number of bytes, optionally with K, M, G, KiB, MiB or GiB, e.g. 1GiB", s)
	}
	return n * mult, nil
}

// FormatSize writes n in the largest binary unit that keeps it readable:
// "256 MiB", "1.5 GiB", "812 bytes".
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// regular refuses anything but a regular file.
func regular(st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "special file"
	switch {
	case m.IsDir():
		kind = "directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "block device"
	}
	return &NotRegularError{Kind: kind}
}

// bare drops the *fs.PathError around err, whose path the caller names
// already.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

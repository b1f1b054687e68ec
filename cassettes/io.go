package cassettes

import (
	"fmt"
	"strings"

	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/inputfile"
)

// Load reads and decodes the cassette at path. Errors name path; see Decode.
//
// Load refuses what is not a regular file after following symlinks (a
// FIFO, a device, a directory, a socket) and a file larger than 256 MiB; the
// environment variable CORSVCR_MAX_INPUT raises the limit (e.g. 1GiB).
func Load(path string) (*Cassette, error) {
	data, err := inputfile.Read(path, inputfile.Cassette)
	if err != nil {
		return nil, fmt.Errorf("cassettes: load %q: %w", path, err)
	}
	// data is ours alone: the cassette's strings may share its memory.
	return decode(path, data, true)
}

// Save encodes c and writes it to path atomically (temp file in the same
// directory, fsync, rename, fsync of the directory).
//
// Save refuses an invalid cassette (see Validate) before touching the file
// system. On any failure the temp file is removed and whatever was at path
// before is left as it was: a reader sees the old cassette or the new one,
// never a truncated one. A symlink at path is followed: the link stays and
// its target is replaced. An existing cassette keeps its mode; a new one
// gets 0644, or 0600 with WithSecrets.
func Save(path string, c *Cassette, opts ...SaveOption) error {
	var o atomicfile.Options
	for _, opt := range opts {
		opt(&o)
	}
	data, err := Encode(c)
	if err != nil {
		return fmt.Errorf("cassettes: save %q: invalid cassette:\n%w", path, err)
	}
	if err := atomicfile.WriteFile(path, data, o); err != nil {
		return fmt.Errorf("cassettes: save %q: %w", path, err)
	}
	return nil
}

// SaveOption configures Save.
type SaveOption func(*atomicfile.Options)

// WithSecrets says the cassette holds unredacted secrets: a new file gets
// mode 0600 instead of 0644 and an existing one loses any group and other
// permission, so that it is never readable by other users.
func WithSecrets() SaveOption {
	return func(o *atomicfile.Options) { o.Private = true }
}

// FieldError is one problem found in a cassette.
type FieldError struct {
	File        string // file name given to Decode/Load; may be empty
	Interaction int    // index into Interactions; -1 for top-level fields
	Line        int    // YAML line, 0 when unknown
	Field       string // e.g. `request.headers[2] "Origin"` or `response.status`
	Reason      string // e.g. "empty value"
}

// Error formats e as
//
//	cassettes: load "x.yaml": interaction 3 (line 42): request.headers[1] "Origin": value contains "\n"
//
// leaving out the parts that are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("cassettes: ")
	if e.File != "" {
		fmt.Fprintf(&b, "load %q: ", e.File)
	}
	switch {
	case e.Interaction >= 0 && e.Line > 0:
		fmt.Fprintf(&b, "interaction %d (line %d): ", e.Interaction, e.Line)
	case e.Interaction >= 0:
		fmt.Fprintf(&b, "interaction %d: ", e.Interaction)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// VersionError reports a cassette written by a newer format version.
type VersionError struct {
	File      string // file name given to Decode/Load; may be empty
	Found     int    // version in the file
	Supported int    // FormatVersion
}

// Error tells the user to upgrade corsvcr.
func (e *VersionError) Error() string {
	var load string
	if e.File != "" {
		load = fmt.Sprintf("load %q: ", e.File)
	}
	return fmt.Sprintf("cassettes: %sformat version %d is newer than this corsvcr supports (%d); upgrade corsvcr",
		load, e.Found, e.Supported)
}

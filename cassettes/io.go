package cassettes

// API contract (implementation owned by the cassettes work item).

// Decode parses and validates a cassette. name is used in error messages
// (usually the file path). Every validation problem is reported at once as
// an errors.Join of *FieldError values; a newer format version gives a
// *VersionError.
func Decode(name string, data []byte) (*Cassette, error) { panic("unimplemented") }

// Encode returns the canonical YAML encoding of c.
func Encode(c *Cassette) ([]byte, error) { panic("unimplemented") }

// Load reads and decodes the cassette at path.
func Load(path string) (*Cassette, error) { panic("unimplemented") }

// Save encodes c and writes it to path atomically (temp file in the same
// directory, fsync, rename, fsync of the directory).
func Save(path string, c *Cassette) error { panic("unimplemented") }

// Validate reports every problem in c at once (errors.Join of *FieldError).
func (c *Cassette) Validate() error { panic("unimplemented") }

// FieldError is one problem found in a cassette.
type FieldError struct {
	File        string // file name given to Decode/Load; may be empty
	Interaction int    // index into Interactions; -1 for top-level fields
	Line        int    // YAML line, 0 when unknown
	Field       string // e.g. `request.headers[2] "Origin"` or `response.status`
	Reason      string // e.g. "empty value"
}

func (e *FieldError) Error() string { panic("unimplemented") }

// VersionError reports a cassette written by a newer format version.
type VersionError struct {
	File      string
	Found     int
	Supported int
}

func (e *VersionError) Error() string { panic("unimplemented") }

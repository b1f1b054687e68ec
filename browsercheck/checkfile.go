package browsercheck

// File is a parsed check file (version 1).
type File struct {
	Version int
	Page    string // default page origin
	Checks  []Check
}

// ParseChecks parses a check file; name is used in error messages. Every
// problem is reported at once, each naming the file, the check and the field.
func ParseChecks(name string, data []byte) (*File, error) { panic("unimplemented") }

// LoadChecks reads and parses the check file at path.
func LoadChecks(path string) (*File, error) { panic("unimplemented") }

// Hosts returns the sorted, distinct authorities ("localhost:8000") of the
// checks' request URLs: the hosts a recorder should record.
func (f *File) Hosts() []string { panic("unimplemented") }

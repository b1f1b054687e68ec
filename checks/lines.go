package checks

import (
	"go.yaml.in/yaml/v3"

	"github.com/corsvcr/corsvcr/internal/inputfile"
)

// Lines returns the line (from 1) where each check of a check file starts,
// its "- name: …" entry, by name, for messages and CI annotations that
// point at a check. It reads the file's YAML leniently and never fails: a
// check without a name, or a file that is not a check file, has no line.
// It is separate from Parse so that a File stays a value equal to the same
// checks built in Go.
func Lines(data []byte) map[string]int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	cs := lookupKey(doc.Content[0], "checks")
	if cs == nil || cs.Kind != yaml.SequenceNode {
		return nil
	}
	out := map[string]int{}
	for _, c := range cs.Content {
		if n := lookupKey(c, "name"); n != nil && n.Kind == yaml.ScalarNode {
			if _, dup := out[n.Value]; !dup {
				out[n.Value] = c.Line
			}
		}
	}
	return out
}

// LoadLines is Lines of the check file at path, read as Load reads it.
func LoadLines(path string) (map[string]int, error) {
	data, err := inputfile.Read(path, inputfile.Checks)
	if err != nil {
		return nil, err
	}
	return Lines(data), nil
}

// lookupKey returns the value of key in the mapping n; nil if n is not a
// mapping or lacks it.
func lookupKey(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

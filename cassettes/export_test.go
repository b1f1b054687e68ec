package cassettes

// Reference implementations for the differential tests.
var (
	EncodeYAML    = encodeYAML
	DecodeGeneral = decodeGeneral
)

// FastDecode is the fast path of Decode alone: ok is false when data is not
// in the canonical layout.
func FastDecode(data []byte) (c *Cassette, ok bool) { return fastDecode(data, false) }

package cassettes

// Reference implementations for the differential tests.
var (
	EncodeYAML = encodeYAML
)

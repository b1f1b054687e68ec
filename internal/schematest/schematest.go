// Package schematest validates corsvcr's JSON output against its published
// schema, docs/report.schema.json, for the tests of the CLI and of the
// packages whose types it encodes.
package schematest

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Definitions of docs/report.schema.json.
const (
	Report     = "#/$defs/report"     // record and check --json: a vcr.Report
	DemoReport = "#/$defs/demoReport" // demo --json
)

// Path is the schema file.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "report.schema.json")
}

// Validate fails t unless data is one JSON document valid against the
// definition def (Report or DemoReport) of the schema.
func Validate(t testing.TB, def string, data []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(Path() + def)
	if err != nil {
		t.Fatalf("schematest: compile %s%s: %v", Path(), def, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("schematest: not JSON: %v\n%s", err, data)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("schematest: output does not match %s: %v\n%s", def, err, data)
	}
}

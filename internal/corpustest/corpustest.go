// Package corpustest finds and reads corsvcr's committed golden corpora for
// the tests that hold replay and the predictor to them: the integration
// tests, which record the corpora in real Chrome and replay them, and
// predict's TestCorpus, which predicts every corpus check offline.
//
// A corpus is a check file, the cassette recorded for it and Chrome's
// verdicts (verdicts.json: check name → checks.Verdict). The corpora live
// in the integration test directory (integration/ in the repository):
//
//	testdata/demo/               the demo; its check file is DemoChecks
//	testdata/oracle/GROUP/       one corpus per group, check file included
//	testdata/oracle/generated/N/ cases saved by TestGenerated (-gen.save)
//	testdata/stacks/NAME/        a stack's cassette and verdicts; its check
//	                             file is stacks/NAME/checks.yaml or
//	                             stacks/*/NAME/checks.yaml
//
// Every path here is relative to that directory; functions take it as dir
// ("." from package integration, "../integration" from a sibling package).
package corpustest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
)

// Where the corpora are, relative to the integration directory.
const (
	DemoDir      = "testdata/demo"
	DemoChecks   = "../internal/sampleapi/checks.yaml" // embedded as sampleapi.Checks
	OracleDir    = "testdata/oracle"
	GeneratedDir = "testdata/oracle/generated"
	StacksDir    = "testdata/stacks"
)

// Corpus is where one golden corpus's files are.
type Corpus struct {
	Name     string // "demo", "oracle/origin", "stacks/nginx", "generated/NAME"; empty from In
	Dir      string // the directory of Cassette and Verdicts
	Checks   string // the check file
	Cassette string // the cassette recorded for the checks
	Verdicts string // Chrome's verdicts, by check name
}

// In returns the corpus whose three files are in dir: checks.yaml,
// cassette.yaml and verdicts.json.
func In(dir string) Corpus {
	return Corpus{
		Dir:      dir,
		Checks:   filepath.Join(dir, "checks.yaml"),
		Cassette: filepath.Join(dir, "cassette.yaml"),
		Verdicts: filepath.Join(dir, "verdicts.json"),
	}
}

// Golden lists every committed golden corpus under dir, the integration
// directory: the demo, each oracle group (preflight-cache and redirects
// included), each stack and each saved generated case. It fails when a
// stack's check file is missing or ambiguous, or when dir holds no oracle
// group or no stack (dir is then not the integration directory).
func Golden(dir string) ([]Corpus, error) {
	demo := In(filepath.Join(dir, DemoDir))
	demo.Name = "demo"
	demo.Checks = filepath.Join(dir, DemoChecks)
	out := []Corpus{demo}

	groups, err := filepath.Glob(filepath.Join(dir, OracleDir, "*", "checks.yaml"))
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("corpustest: no oracle group in %s", filepath.Join(dir, OracleDir))
	}
	for _, f := range groups {
		c := In(filepath.Dir(f))
		c.Name = "oracle/" + filepath.Base(c.Dir)
		out = append(out, c)
	}

	stacks, err := filepath.Glob(filepath.Join(dir, StacksDir, "*"))
	if err != nil {
		return nil, err
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("corpustest: no stack in %s", filepath.Join(dir, StacksDir))
	}
	for _, d := range stacks {
		name := filepath.Base(d)
		var files []string
		for _, pattern := range []string{
			filepath.Join(dir, "stacks", name, "checks.yaml"),
			filepath.Join(dir, "stacks", "*", name, "checks.yaml"),
		} {
			m, err := filepath.Glob(pattern)
			if err != nil {
				return nil, err
			}
			files = append(files, m...)
		}
		if len(files) != 1 {
			return nil, fmt.Errorf("corpustest: stack %q: want one check file (stacks/%[1]s/checks.yaml or stacks/*/%[1]s/checks.yaml), found %d: %q", name, len(files), files)
		}
		c := In(d)
		c.Name = "stacks/" + name
		c.Checks = files[0]
		out = append(out, c)
	}

	generated, err := filepath.Glob(filepath.Join(dir, GeneratedDir, "*"))
	if err != nil {
		return nil, err
	}
	for _, d := range generated {
		c := In(d)
		c.Name = "generated/" + filepath.Base(d)
		out = append(out, c)
	}
	return out, nil
}

// ReadVerdicts reads a verdicts.json file: Chrome's verdicts by check
// name, each as one verdict object for a one-step check, or as
// {"steps": [verdict, ...]} for a check of more than one step.
func ReadVerdicts(path string) (map[string]checks.Verdicts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("corpustest: read verdicts %q: %w", path, err)
	}
	out := make(map[string]checks.Verdicts, len(raw))
	for name, r := range raw {
		var multi struct {
			Steps checks.Verdicts `json:"steps"`
		}
		if err := json.Unmarshal(r, &multi); err != nil {
			return nil, fmt.Errorf("corpustest: read verdicts %q: %q: %w", path, name, err)
		}
		if len(multi.Steps) > 0 {
			out[name] = multi.Steps
			continue
		}
		var one checks.Verdict
		if err := json.Unmarshal(r, &one); err != nil {
			return nil, fmt.Errorf("corpustest: read verdicts %q: %q: %w", path, name, err)
		}
		out[name] = checks.Verdicts{one}
	}
	return out, nil
}

// WriteVerdicts writes verdicts as a verdicts.json file (see ReadVerdicts;
// indented JSON, keys sorted, a final newline), creating its directory.
func WriteVerdicts(path string, verdicts map[string]checks.Verdicts) error {
	raw := make(map[string]any, len(verdicts))
	for name, vs := range verdicts {
		if len(vs) == 1 {
			raw[name] = vs[0]
		} else {
			raw[name] = struct {
				Steps checks.Verdicts `json:"steps"`
			}{vs}
		}
	}
	data, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return fmt.Errorf("corpustest: write verdicts %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Aligned returns the predicted verdicts with the failedParameter Chrome
// chose where the predictor cannot know Chrome's choice: among several
// request headers missing from Access-Control-Allow-Headers, Chrome names
// the first in a Blink hash-map order (see
// predict.Step.FailedParameterCandidates). Every other field stays as
// predicted, and a name outside the candidates stays a disagreement.
func Aligned(chrome checks.Verdicts, r predict.Result) checks.Verdicts {
	if len(chrome) != len(r.Steps) {
		return r.Verdicts()
	}
	out := make(checks.Verdicts, len(r.Steps))
	for i, st := range r.Steps {
		out[i], _ = st.WithFailedParameter(chrome[i].FailedParameter)
	}
	return out
}

// Rules returns the predictor's rule for each step of r, for messages.
func Rules(r predict.Result) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Rule)
	}
	return out
}

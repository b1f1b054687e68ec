package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// InGitHubActions reports whether the process runs in a GitHub Actions job
// (GITHUB_ACTIONS=true, which the runner always sets).
func InGitHubActions() bool { return os.Getenv("GITHUB_ACTIONS") == "true" }

// GitHubAnnotations writes one GitHub Actions workflow command per check
// that did not pass, which GitHub shows as an error annotation on the
// check's line of the check file (in the job summary and, for a pull
// request, on the diff):
//
//	::error file=cors-checks.yaml,line=14,title=corsvcr%3A add-to-cart failed::status: want 201, got 200%0Aconsole: …
//
// file is Run.ChecksPath relative to the repository root
// ($GITHUB_WORKSPACE, as GitHub wants it; as given without it) and line the check's entry (checks.File.Line); without
// a check file, or for a check built in Go, the annotation names the file
// alone, or nothing. Values are escaped as the runner decodes them: % \r \n
// in the message, and also : and , in the properties. The runner reads
// workflow commands on stdout and stderr alike; corsvcr writes them on
// stderr, so that stdout keeps the table or the JSON report.
func GitHubAnnotations(w io.Writer, run Run) error {
	for _, c := range run.checksOf() {
		st := c.status()
		if st == statusPass {
			continue
		}
		var props []string
		if run.ChecksPath != "" {
			props = append(props, "file="+escapeProperty(workspacePath(run.ChecksPath)))
			if c.line > 0 {
				props = append(props, "line="+strconv.Itoa(c.line))
			}
		}
		props = append(props, "title="+escapeProperty(fmt.Sprintf("corsvcr: %s %s", c.name, st)))
		msg := strings.Join(c.problems(), "\n")
		if c.result != nil {
			msg += noteText(c.result)
		}
		if _, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), escapeData(msg)); err != nil {
			return fmt.Errorf("report: annotations: %w", err)
		}
	}
	if run.Checks == nil && run.Report.Summary.NotRun > 0 {
		msg := fmt.Sprintf("%d checks did not run: the run was interrupted", run.Report.Summary.NotRun)
		if _, err := fmt.Fprintf(w, "::error title=%s::%s\n", escapeProperty("corsvcr: checks not run"), escapeData(msg)); err != nil {
			return fmt.Errorf("report: annotations: %w", err)
		}
	}
	return nil
}

// workspacePath returns path as GitHub wants an annotation's file: relative
// to the repository root, $GITHUB_WORKSPACE, with forward slashes. A path
// given relative to a working directory below the root (cd api && corsvcr
// check --checks cors-checks.yaml) or absolute (--checks
// $GITHUB_WORKSPACE/api/cors-checks.yaml) is made relative to the root; a
// path outside it, or without $GITHUB_WORKSPACE, is kept as given.
func workspacePath(path string) string {
	ws := os.Getenv("GITHUB_WORKSPACE")
	if ws == "" {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	root, err := filepath.Abs(ws)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return filepath.ToSlash(rel)
}

// escapeData escapes a workflow command's message as the GitHub Actions
// runner unescapes it (actions/toolkit, command.ts escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value (command.ts
// escapeProperty): escapeData, and : and , which end a property.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

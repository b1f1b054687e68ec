package browsercheck

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/procs"
)

// tempDirPrefix starts the name of every Browser's temp directory, which
// is tempDirPrefix + "<pid>-<random>" in os.TempDir().
const tempDirPrefix = "corsvcr-chrome-"

// makeTempDir makes the Browser's temp directory, named after the process.
func makeTempDir() (string, error) {
	return os.MkdirTemp("", tempDirPrefix+strconv.Itoa(os.Getpid())+"-")
}

// removeStaleTempDirs removes the temp directories that Browsers of killed
// processes left in os.TempDir(), by the rule of atomicfile.Stale: ours,
// older than a minute, and their process gone (or its pid reused). Chrome
// processes still using one (orphans of the killed process) are killed
// first. It is best effort: what it cannot remove stays.
func removeStaleTempDirs() {
	root := os.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		tail, ok := strings.CutPrefix(e.Name(), tempDirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pid, ok := procs.PIDOf(tail)
		if !ok || pid == os.Getpid() {
			continue
		}
		info, err := e.Info()
		if err != nil || !atomicfile.Stale(info, pid) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if killLeftovers(filepath.Join(dir, "profile"), map[int]string{}) == nil {
			os.RemoveAll(dir)
		}
	}
}

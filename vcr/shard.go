package vcr

import (
	"fmt"

	"github.com/corsvcr/corsvcr/checks"
)

// ShardInfo says which share of a check file a run ran (corsvcr --shard
// I/N; checks.File.Shard selects it).
type ShardInfo struct {
	checks.Shard
	// Checks counts the checks of this shard.
	Checks int `json:"checks"`
	// FileChecks counts the checks of the file across all shards (after
	// any --run selection).
	FileChecks int `json:"file_checks"`
}

// String renders the shard as "shard 2/4: 9 of 37 checks".
func (s ShardInfo) String() string {
	return fmt.Sprintf("shard %s: %d of %d checks", s.Shard, s.Checks, s.FileChecks)
}

// SelectShard returns the checks of file in shard s, and the ShardInfo to
// put in the run (Run.Shard). An empty shard is no error: with more shards
// than checks some have none, and their run passes.
func SelectShard(file *checks.File, s checks.Shard) (*checks.File, *ShardInfo, error) {
	sel, err := file.Shard(s)
	if err != nil {
		return nil, nil, err
	}
	return sel, &ShardInfo{Shard: s, FileChecks: len(file.Checks), Checks: len(sel.Checks)}, nil
}

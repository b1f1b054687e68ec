//go:build unix

package procs

import (
	"io/fs"
	"os"
	"syscall"
)

// OwnedByMe reports whether info belongs to the effective user.
func OwnedByMe(info fs.FileInfo) bool {
	uid, ok := Owner(info)
	return ok && uid == os.Geteuid()
}

// Owner returns the uid of info's owner; ok is false when unknown.
func Owner(info fs.FileInfo) (uid int, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// Package atomicfile writes files so that a crash or a kill never leaves
// one half written: every file corsvcr writes goes through WriteFile.
//
// # Guarantees
//
//   - path holds its old content or the new one, never a mix, also after a
//     crash or a kill -9: the data goes to a temp file next to the target,
//     which is fsynced and renamed over it.
//   - A symlink at path is followed: the link stays, its target is
//     replaced (the temp file is written in the target's directory).
//   - An existing target keeps its mode; a new one gets 0644, or 0600 with
//     Options.Private. With Private an existing target also loses every
//     group and other permission: a private file never becomes readable by
//     others, and a 0600 file stays 0600 after any write.
//   - A killed writer leaves its temp file, named
//     ".<name>.tmp-<pid>-<random>" after the target and the writing
//     process. The next WriteFile of the same target removes the stale
//     ones (see Stale for the rule).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/internal/procs"
)

// Options says how WriteFile sets the mode of the file it writes.
type Options struct {
	// Private is for files that may hold secrets: a new file gets mode
	// 0600 instead of 0644, and an existing one loses any group and other
	// permission bits. The zero value keeps an existing file's mode and
	// makes new files 0644.
	Private bool
}

// WriteFile replaces the file at path with data, so that path holds either
// its old content or data, also after a crash: it writes a temp file in the
// target's directory, fsyncs it, renames it over the target and fsyncs the
// directory. A symlink at path is followed (the link is kept, its target
// replaced); the mode is set as opts says. On failure the temp file is
// removed and path is left as it was. Like os.WriteFile it creates no
// directory. Before writing, stale temp files a killed writer left for the
// same target are removed (Stale).
func WriteFile(path string, data []byte, opts Options) (err error) {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if opts.Private {
		perm = 0o600
	}
	if st, err := os.Stat(target); err == nil && st.Mode().IsRegular() {
		perm = st.Mode().Perm()
		if opts.Private {
			perm &^= 0o077
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, base)
	f, err := os.CreateTemp(dir, tempPattern(base))
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // a second Close only reports os.ErrClosed
			os.Remove(tmp)
		}
	}()
	// Before the data goes in: a private file is never readable by others,
	// not even as a temp file.
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	// The rename is done; only its durability is left to ensure.
	return syncDir(dir)
}

// IsPrivate reports whether the file at path (symlinks followed) exists
// and grants no permission to group or others: a file written from it
// should be written with Options.Private.
func IsPrivate(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().Perm()&0o077 == 0
}

// resolve follows the symlinks at path (not those of its directories) and
// returns the file to replace: path itself when it is no symlink or does
// not exist, else the target of the chain, which may not exist yet.
func resolve(path string) (string, error) {
	const maxLinks = 40 // as Linux's ELOOP
	p := path
	for range maxLinks {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", fmt.Errorf("%q: too many levels of symbolic links", path)
}

// tempPattern is the os.CreateTemp pattern of the temp files for the target
// named base: ".<base>.tmp-<pid>-*".
func tempPattern(base string) string {
	return "." + base + ".tmp-" + strconv.Itoa(os.Getpid()) + "-*"
}

// removeStale removes the stale temp files of the target named base in dir.
// It is best effort: what it cannot remove stays.
func removeStale(dir, base string) {
	prefix := "." + base + ".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !e.Type().IsRegular() {
			continue
		}
		pid, ok := procs.PIDOf(name[len(prefix):])
		if !ok {
			continue // not ours: the name carries no pid
		}
		if info, err := e.Info(); err == nil && Stale(info, pid) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// Stale reports whether the temp entry info, made by the process pid, is a
// leftover of a killed process and may be removed. It is when both hold:
//
//   - it belongs to the current user;
//   - no process pid runs (zombies count as gone), or the one that does
//     started after the entry was last modified, so that it reuses the pid
//     of the dead writer (the start time is known on Linux only; elsewhere
//     a reused pid keeps the entry until the pid is free again).
//
// The rule assumes the writers of a directory share one pid namespace: an
// entry of a live writer in another container that shares the directory
// may look stale. browsercheck applies the same rule to its
// corsvcr-chrome-<pid>-* directories.
func Stale(info fs.FileInfo, pid int) bool {
	return procs.OwnedByMe(info) && !procs.Running(pid, info.ModTime())
}

// syncDir flushes the directory entry of a rename to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

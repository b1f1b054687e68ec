// Package atomicfile writes files so that a crash or a kill never leaves
// one half written: every file corsvcr writes goes through WriteFile.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with data, with mode perm, so
// that path holds either its old content or data, also after a crash: it
// writes a temp file in the same directory, fsyncs it, renames it over path
// and fsyncs the directory. On failure the temp file is removed and path is
// left as it was. Like os.WriteFile it creates no directory. Every file
// corsvcr writes (cassettes, check files, HAR exports) goes through it.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is done; only its durability is left to ensure.
	return syncDir(dir)
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

//go:build !unix

package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

var errHeld = errors.New("held")

// tryLock creates the lock file exclusively. Without flock, a file left by
// a killed process is recognised by its holder's pid no longer running.
func tryLock(path string) (*os.File, error) {
	for range 2 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		b, _ := os.ReadFile(path)
		var pid int
		fmt.Sscanf(string(b), "process %d", &pid)
		if pid == 0 {
			// Just created, its holder not yet written: held, unless old.
			if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) < 10*time.Second {
				return nil, errHeld
			}
		} else if p, err := os.FindProcess(pid); err == nil {
			p.Release()
			return nil, errHeld
		}
		os.Remove(path) // stale: its holder is gone
	}
	return nil, errHeld
}

func release(f *os.File, path string) {
	f.Close()
	os.Remove(path)
}

// lockHeld reports whether the lock file names a running process.
func lockHeld(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var pid int
	fmt.Sscanf(string(b), "process %d", &pid)
	if pid == 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

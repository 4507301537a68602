//go:build unix

package run

import (
	"errors"
	"os"
	"syscall"
)

var errHeld = errors.New("held")

// tryLock opens the lock file and takes an exclusive flock on it without
// waiting. The kernel drops the flock when its process dies. The file
// stays in place: deleting it on release would let a process that opened
// the old file lock it while another locks a new one.
func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errHeld
		}
		return nil, err
	}
	return f, nil
}

func release(f *os.File, path string) { f.Close() }

// lockHeld reports whether a process holds the lock file, by asking for a
// shared lock and giving it back at once.
func lockHeld(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	return errors.Is(err, syscall.EWOULDBLOCK)
}

package run

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Lock is a held lock on a run folder: while one process trains in a
// folder, another `ebm train` on it is refused. The lock dies with its
// process, so a killed run leaves no lock behind that blocks the next.
type Lock struct {
	f    *os.File
	path string
}

// LockedError says which process holds a run folder.
type LockedError struct {
	Dir    string
	Holder string // "process 1234 on host, since ..." as the holder wrote it; empty if unknown
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.Holder != "" {
		who = e.Holder
	}
	return fmt.Sprintf("run folder %s is in use by %s: wait for it to finish, or stop it", e.Dir, who)
}

// LockDir takes the lock of run folder dir, which must exist, or returns
// a *LockedError naming the process that holds it.
func LockDir(dir string) (*Lock, error) {
	path := Dir(dir).Lock()
	f, err := tryLock(path)
	if err == errHeld {
		b, _ := os.ReadFile(path)
		return nil, &LockedError{Dir: dir, Holder: strings.TrimSpace(string(b))}
	}
	if err != nil {
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("process %d on %s, since %s\n", os.Getpid(), host, time.Now().Format(time.DateTime))
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(holder), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Release gives the folder back.
func (l *Lock) Release() {
	l.f.Truncate(0)
	release(l.f, l.path)
}

// Locked reports whether a process holds the folder's lock: it is training
// there now.
func (d Dir) Locked() bool { return lockHeld(d.Lock()) }

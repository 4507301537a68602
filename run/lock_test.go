package run

import (
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// One holder at a time: a second lock on the folder is refused with the
// holder named, and a released folder can be locked again.
func TestRunFolderLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDir(dir)
	require.NoError(t, err)
	_, err = LockDir(dir)
	var locked *LockedError
	require.ErrorAs(t, err, &locked)
	require.Contains(t, err.Error(), dir)
	require.Contains(t, err.Error(), "process "+strconv.Itoa(os.Getpid()))
	first.Release()
	again, err := LockDir(dir)
	require.NoError(t, err)
	again.Release()
	_, err = LockDir(dir + "/missing")
	require.Error(t, err)
	require.False(t, errors.As(err, &locked), "a missing folder is not a held lock")
}

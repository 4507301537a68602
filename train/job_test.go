package train

import (
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// A resumed run keeps its recipe: settings given again must match the
// checkpoint's, and only the epochs may be raised.
func TestResumedRecipeKeepsTheCheckpoints(t *testing.T) {
	saved := quickRecipe()
	r, err := Job{Given: map[string]string{"epochs": "7", "lr": "0.001", "hidden": "512,512,512"}}.resumedRecipe(saved)
	require.NoError(t, err)
	want := saved
	want.Epochs = 7
	require.Equal(t, want, r)
	_, err = Job{Given: map[string]string{"lr": "0.5"}}.resumedRecipe(saved)
	require.ErrorContains(t, err, "--lr 0.5 differs from the checkpoint's 0.001")
	_, err = Job{Given: map[string]string{"hidden": "32"}}.resumedRecipe(saved)
	require.ErrorContains(t, err, "--hidden 32 differs from the checkpoint's 512,512,512")
}

// A new run is its preset with the given settings over it.
func TestNewRecipeIsThePresetWithTheGivenSettings(t *testing.T) {
	r, err := Job{Preset: "original", Given: map[string]string{"epochs": "2", "langevin_sigma": "0.1"}}.NewRecipe()
	require.NoError(t, err)
	want, _ := PresetRecipe("original")
	want.Epochs, want.LangevinSigma = 2, 0.1
	require.Equal(t, want, r)
	_, err = Job{Given: map[string]string{"gen_weight": "0"}}.NewRecipe()
	require.ErrorContains(t, err, "--gen_weight = 0")
}

// One holder at a time: a second lock on the folder is refused with the
// holder named, and a released folder can be locked again.
func TestRunFolderLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	first, err := LockRunDir(dir)
	require.NoError(t, err)
	_, err = LockRunDir(dir)
	var locked *LockedError
	require.ErrorAs(t, err, &locked)
	require.Contains(t, err.Error(), dir)
	require.Contains(t, err.Error(), "process "+strconv.Itoa(os.Getpid()))
	first.Release()
	again, err := LockRunDir(dir)
	require.NoError(t, err)
	again.Release()
	_, err = LockRunDir(dir + "/missing")
	require.Error(t, err)
	require.False(t, errors.As(err, &locked), "a missing folder is not a held lock")
}

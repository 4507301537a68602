package train

import (
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
	_, err = Job{Given: map[string]string{"gen_weight": "-1"}}.NewRecipe()
	require.ErrorContains(t, err, "--gen_weight = -1")
}

package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A run that keeps diverging stops with an error after its rollbacks, and
// the checkpoint on disk stays the last good one.
func TestPersistentDivergenceStopsAndKeepsTheGoodCheckpoint(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.Epochs = 1
	r.LangevinSteps = 2
	tn := newTrainer(t, r, tr.Subset(256), te)
	path := filepath.Join(t.TempDir(), "checkpoint.ebm")
	require.NoError(t, SaveCheckpoint(path, tn))
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	blowUp := func(t *Trainer, _ StepStats) { t.Model.Layers[0].W[0] = float32(math.Inf(1)); t.Model.Sync() }
	err = tn.Run(context.Background(), Hooks{Checkpoint: func(t *Trainer) error { return SaveCheckpoint(path, t) }, Step: blowUp})
	require.ErrorContains(t, err, "giving up after 3 rollbacks")
	var div *Diverged
	require.ErrorAs(t, err, &div)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, good, after)
}

// One blow-up mid-run is rolled back to the start of the epoch, with half
// the learning rate and a fresh buffer, and training finishes.
func TestDivergenceRollsBackAndRecovers(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.Epochs = 2
	r.LangevinSteps = 2
	r.BufferSize = 100
	tn := newTrainer(t, r, tr.Subset(320), te.Subset(200))
	injected := false
	inject := func(t *Trainer, _ StepStats) {
		if t.Progress.Epoch == 2 && t.Progress.Batch == 2 && !injected {
			injected = true
			for i := range t.Model.Layers[2].B {
				t.Model.Layers[2].B[i] = 1e6 * float32(i%2*2-1) // energies far beyond the guard
			}
		}
	}
	require.NoError(t, tn.Run(context.Background(), Hooks{Step: inject}))
	require.True(t, injected)
	require.Equal(t, 1, tn.Progress.Rollbacks)
	require.Equal(t, 0.5, tn.Progress.LRScale)
	require.Len(t, tn.Progress.History, 2)
	for _, p := range tn.Model.Params() {
		for _, v := range p {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
		}
	}
	// The moving average was rolled back too: the blown-up biases it
	// absorbed before the guard fired are gone.
	for _, p := range tn.EMA.Params() {
		for _, v := range p {
			require.Less(t, math.Abs(float64(v)), 100.0)
		}
	}

	r.MaxRollbacks = 0
	tn2 := newTrainer(t, r, tr.Subset(320), te.Subset(200))
	injected = false
	require.ErrorContains(t, tn2.Run(context.Background(), Hooks{Step: inject}), "giving up after 0 rollbacks")
}

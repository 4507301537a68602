package train

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/nn"
	"github.com/stretchr/testify/require"
)

// A short run on 4000 images classifies over 80% of held-out digits (the
// generative term slows it early; a full run reaches 98.5%), and its Langevin
// samples have lower energy (higher logsumexp) than noise. The learning rate
// decays as in the default recipe: under a constant one the last epochs swing
// by several points, and the GEMM's summation order (assembly or pure Go)
// decides on which side of 80% the run ends.
func TestShortRunLearnsToClassifyAndGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: nine epochs of training, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.Epochs = 9
	r.BatchSize = 32
	r.LRSchedule = "cosine"
	tn := newTrainer(t, r, tr, te)
	require.NoError(t, tn.Run(context.Background(), Hooks{}))
	require.Len(t, tn.Progress.History, 9)
	t.Logf("accuracy per epoch: %v", func() (a []float64) {
		for _, m := range tn.Progress.History {
			a = append(a, m.ValAcc)
		}
		return a
	}())
	_, acc, err := tn.Validation(te)
	require.NoError(t, err)
	require.Greater(t, acc, 0.80)

	meanLSE := func(x []float32, n int) float64 {
		ws := tn.Model.NewWorkspace(n)
		z, err := ws.Forward(x, n)
		require.NoError(t, err)
		var s float64
		for i := range n {
			s += nn.LogSumExp(z[i*10 : (i+1)*10])
		}
		return s / float64(n)
	}
	const n = 64
	noise := make([]float32, n*784)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range noise {
		noise[i] = float32(2*rng.Float64() - 1)
	}
	samples := append([]float32(nil), noise...)
	s, err := langevin.New(jem.Energy{Model: tn.Model}, langevin.Config{Steps: 40, Alpha: 1, Sigma: 0.01, Clamp: true, Seed: 9, Workers: 2})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Run(samples, nil, nil, false, 0))
	// The sign test: descending E(x) raises logsumexp f(x).
	require.Greater(t, meanLSE(samples, n), meanLSE(noise, n)+1)
}

// Stopping mid-epoch and resuming from the checkpoint gives bit-identical
// parameters to an uninterrupted run.
func TestResumeContinuesExactly(t *testing.T) {
	tr, te := smallMNIST(t)
	tr = tr.Subset(640)
	r := quickRecipe()
	r.Epochs = 2
	r.LangevinSteps = 3
	r.BufferSize = 200

	full := newTrainer(t, r, tr, te)
	require.NoError(t, full.Run(context.Background(), Hooks{}))

	path := filepath.Join(t.TempDir(), "checkpoint.ebm")
	ctx, cancel := context.WithCancel(context.Background())
	first := newTrainer(t, r, tr, te)
	stop := func(t *Trainer, _ StepStats) {
		if t.Progress.Step == 13 { // in the second epoch
			cancel()
		}
	}
	err := first.Run(ctx, Hooks{Checkpoint: func(t *Trainer) error { return SaveCheckpoint(path, t) }, Step: stop})
	require.ErrorIs(t, err, ErrInterrupted)

	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.Equal(t, 2, ck.Progress.Epoch)
	require.Equal(t, uint64(13), ck.Progress.Step)
	require.Equal(t, r, ck.Recipe)
	// The checkpoint's Model is the moving average, Trained the weights.
	require.True(t, ck.Averaged())
	require.Equal(t, first.EMA.Params(), ck.Model.Params())
	require.Equal(t, first.Model.Params(), ck.Trained.Params())
	require.NotEqual(t, ck.Model.Params(), ck.Trained.Params())
	// --weights picks either; resuming still restores both.
	require.NoError(t, ck.UseWeights("ema"))
	require.ErrorContains(t, ck.UseWeights("best"), `--weights "best"`)
	require.NoError(t, ck.UseWeights("trained"))
	require.Same(t, ck.Trained, ck.Model)
	require.False(t, ck.Averaged())
	// Workers are not part of the recipe: the run continues on one.
	second, err := NewTrainer(ck.Recipe, 1, tr, te, nil)
	require.NoError(t, err)
	defer second.Close()
	require.NoError(t, ck.Restore(second))
	require.NoError(t, second.Run(context.Background(), Hooks{}))

	for i, p := range full.Model.Params() {
		require.Equal(t, p, second.Model.Params()[i], "parameter %d", i)
	}
	require.Equal(t, full.EMA.Params(), second.EMA.Params())
	require.Equal(t, full.Buffer.Data, second.Buffer.Data)
	require.Equal(t, full.Progress.History[1].TrainLoss, second.Progress.History[1].TrainLoss)
	require.Equal(t, full.Progress.History[1].ValAccEMA, second.Progress.History[1].ValAccEMA)
}

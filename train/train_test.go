package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
	"github.com/stretchr/testify/require"
)

// lossValue evaluates the hybrid loss in float64 from logits, as written:
// CE(real) + w*(mean E(real) - mean E(sample)) + lambda*mean(E_real^2 + E_sample^2).
func lossValue(logits []float32, y []int, out int, lambda, w float64) float64 {
	b := len(y)
	var ce, er, es, reg float64
	for r := range 2 * b {
		z := logits[r*out : (r+1)*out]
		e := -nn.LogSumExp(z)
		if r < b {
			ce += nn.CrossEntropy(z, y[r])
			er += e
		} else {
			es += e
		}
		reg += e * e
	}
	return (ce + w*(er-es) + lambda*reg) / float64(b)
}

// The gradient the trainer backpropagates is the derivative of the loss as
// specified, and E(x) = -logsumexp f(x) carries the sign.
func TestHybridLossGradientMatchesItsDefinition(t *testing.T) {
	for _, w := range []float64{1, 2.5} {
		t.Run(fmt.Sprintf("gen_weight=%v", w), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			const b, out, lambda = 3, 10, 0.3
			logits := make([]float32, 2*b*out)
			for i := range logits {
				logits[i] = float32(rng.NormFloat64() * 2)
			}
			y := []int{4, 0, 9}
			dl := make([]float32, len(logits))
			st := hybridLoss(logits, y, dl, out, lambda, float32(w))
			require.InDelta(t, lossValue(logits, y, out, lambda, w), st.Loss, 1e-5)
			require.InDelta(t, -nn.LogSumExp(logits[:out]), func() float64 {
				one := make([]float32, 2*out)
				return hybridLoss(logits[:2*out], y[:1], one, out, 0, float32(w)).EReal
			}(), 1e-6, "E(x) = -logsumexp f(x)")
			const h = 1e-3
			for i := range logits {
				orig := logits[i]
				logits[i] = orig + h
				up := lossValue(logits, y, out, lambda, w)
				logits[i] = orig - h
				down := lossValue(logits, y, out, lambda, w)
				logits[i] = orig
				require.InDelta(t, (up-down)/(2*h), float64(dl[i]), 2e-3, "logit %d", i)
			}
		})
	}
}

// --gen_weight reaches the loss the trainer steps on: the same batch and the
// same samples give CE + w*(E_real - E_sample) for each w.
func TestTrainerWeighsTheGenerativeTerm(t *testing.T) {
	tr, te := smallMNIST(t)
	for _, w := range []float64{1, 3} {
		cfg := quickConfig(t.TempDir())
		cfg.GenWeight = w
		tn, err := NewTrainer(cfg, tr.Subset(256), te.Subset(100), nil)
		require.NoError(t, err)
		st, err := tn.Step(tn.epochOrder(1)[0])
		tn.Close()
		require.NoError(t, err)
		require.NotZero(t, st.EReal-st.ESample)
		require.InDelta(t, st.CE+w*(st.EReal-st.ESample), st.Loss, 1e-9, "w = %v", w)
	}
}

// Without the regulariser, CE + E(x_real) = -f(x)[y] = E(x, y): training
// lowers the energy of each real image under its own label.
func TestRealTermIsTheJointEnergy(t *testing.T) {
	z := []float32{0.5, -1, 2, 0, 0, 0, 0, 0, 0, 0.1}
	both := append(append([]float32(nil), z...), z...)
	dl := make([]float32, 20)
	st := hybridLoss(both, []int{2}, dl, 10, 0, 1)
	require.InDelta(t, -2.0, st.CE+st.EReal, 1e-6)
	require.InDelta(t, -1.0, float64(dl[2]), 1e-6, "dLoss/df[y] = -1")
}

var (
	dataOnce          sync.Once
	trainSet, testSet *mnist.Dataset
	dataErr           error
)

// smallMNIST is the first 4000 training and 1000 test images.
func smallMNIST(t *testing.T) (*mnist.Dataset, *mnist.Dataset) {
	dir := os.Getenv(mnist.EnvVar)
	if dir == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	dataOnce.Do(func() {
		cfg := Config{DataDir: dir, TrainLimit: 4000, TestLimit: 1000, BatchSize: 64}
		trainSet, testSet, dataErr = LoadData(cfg)
	})
	require.NoError(t, dataErr)
	return trainSet, testSet
}

func quickConfig(out string) Config {
	c := Default()
	c.Epochs = 3
	c.LangevinSteps = 10
	c.BufferSize = 1000
	c.WarmupSteps = 20
	c.LRSchedule = "constant"
	c.OutDir = out
	c.Workers = 2
	return c
}

// A short run on 4000 images classifies over 80% of held-out digits (the
// generative term slows it early; a full run reaches 98.5%), and its Langevin
// samples have lower energy (higher logsumexp) than noise.
func TestShortRunLearnsToClassifyAndGenerate(t *testing.T) {
	tr, te := smallMNIST(t)
	cfg := quickConfig(t.TempDir())
	cfg.Epochs = 9
	cfg.BatchSize = 32
	tn, err := NewTrainer(cfg, tr, te, nil)
	require.NoError(t, err)
	defer tn.Close()
	require.NoError(t, tn.Run(context.Background(), Hooks{}))
	require.Len(t, tn.P.History, 9)
	t.Logf("accuracy per epoch: %v", func() (a []float64) {
		for _, m := range tn.P.History {
			a = append(a, m.ValAcc)
		}
		return a
	}())
	_, acc, err := tn.Evaluate(te)
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
	s, err := langevin.New(Energy{tn.Model}, langevin.Config{Steps: 40, StepSize: 1, Noise: 0.01, Clamp: true, Seed: 9, Workers: 2})
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
	cfg := quickConfig(t.TempDir())
	cfg.Epochs = 2
	cfg.LangevinSteps = 3
	cfg.BufferSize = 200

	full, err := NewTrainer(cfg, tr, te, nil)
	require.NoError(t, err)
	defer full.Close()
	require.NoError(t, full.Run(context.Background(), Hooks{}))

	path := filepath.Join(cfg.OutDir, "checkpoint.ebm")
	ctx, cancel := context.WithCancel(context.Background())
	first, err := NewTrainer(cfg, tr, te, nil)
	require.NoError(t, err)
	defer first.Close()
	first.OnStep = func(t *Trainer) {
		if t.P.Step == 13 { // in the second epoch
			cancel()
		}
	}
	err = first.Run(ctx, Hooks{Checkpoint: func(t *Trainer) error { return SaveCheckpoint(path, t) }})
	require.ErrorIs(t, err, ErrInterrupted)

	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.Equal(t, 2, ck.Progress.Epoch)
	require.Equal(t, uint64(13), ck.Progress.Step)
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
	second, err := NewTrainer(ck.Config, tr, te, nil)
	require.NoError(t, err)
	defer second.Close()
	require.NoError(t, ck.Restore(second))
	require.NoError(t, second.Run(context.Background(), Hooks{}))

	for i, p := range full.Model.Params() {
		require.Equal(t, p, second.Model.Params()[i], "parameter %d", i)
	}
	require.Equal(t, full.EMA.Params(), second.EMA.Params())
	require.Equal(t, full.Buffer.Data, second.Buffer.Data)
	require.Equal(t, full.P.History[1].TrainLoss, second.P.History[1].TrainLoss)
	require.Equal(t, full.P.History[1].ValAccEMA, second.P.History[1].ValAccEMA)
}

func TestCheckpointRejectsDamage(t *testing.T) {
	tr, te := smallMNIST(t)
	cfg := quickConfig(t.TempDir())
	tn, err := NewTrainer(cfg, tr.Subset(128), te, nil)
	require.NoError(t, err)
	defer tn.Close()
	path := filepath.Join(cfg.OutDir, "c.ebm")
	require.NoError(t, SaveCheckpoint(path, tn))
	b, err := os.ReadFile(path)
	require.NoError(t, err)

	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-7],
		"trailing":  append(append([]byte(nil), b...), 0),
		"magic":     append([]byte("NOTACKPT"), b[8:]...),
	} {
		p := filepath.Join(cfg.OutDir, name)
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		_, err := LoadCheckpoint(p)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), p)
	}

	// Another shape is refused by Restore.
	other := cfg
	other.Hidden = []int{32}
	small, err := NewTrainer(other, tr.Subset(128), te, nil)
	require.NoError(t, err)
	defer small.Close()
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.ErrorContains(t, ck.Restore(small), "layer sizes")
}

// savedCheckpoint builds an untrained trainer for cfg on 128 images, saves
// it, and returns it with the checkpoint's path and bytes, for tests that
// rewrite a file into an older layout.
func savedCheckpoint(t *testing.T, cfg Config) (*Trainer, string, []byte) {
	tr, te := smallMNIST(t)
	tn, err := NewTrainer(cfg, tr.Subset(128), te, nil)
	require.NoError(t, err)
	t.Cleanup(tn.Close)
	path := filepath.Join(cfg.OutDir, "saved.ebm")
	require.NoError(t, SaveCheckpoint(path, tn))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return tn, path, b
}

// A checkpoint of the previous format (no moving average) still loads: its
// one model is both the one to use and the one to train on, and a run with
// --ema resumed from it starts its average at those weights.
func TestVersion2CheckpointLoads(t *testing.T) {
	tr, te := smallMNIST(t)
	cfg := quickConfig(t.TempDir())
	cfg.EMA = 0
	tn, path, b := savedCheckpoint(t, cfg)
	// Without an average the v3 layout is the v2 layout.
	require.NoError(t, os.WriteFile(path, append([]byte(ckptMagicV2), b[len(ckptMagic):]...), 0o644))
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.False(t, ck.Averaged())
	require.Same(t, ck.Model, ck.Trained)
	require.Equal(t, tn.Model.Params(), ck.Model.Params())
	require.ErrorContains(t, ck.UseWeights("ema"), "no moving average")

	withEMA := cfg
	withEMA.EMA = 0.99
	tn2, err := NewTrainer(withEMA, tr.Subset(128), te, nil)
	require.NoError(t, err)
	defer tn2.Close()
	require.NoError(t, ck.Restore(tn2))
	require.Equal(t, tn.Model.Params(), tn2.EMA.Params())
	require.Zero(t, tn2.EMA.N)
}

// A checkpoint written before --gen_weight existed has no such key in its
// header; its run trained with weight 1, and it loads as such.
func TestHeaderWithoutGenWeightLoadsAsOne(t *testing.T) {
	cfg := quickConfig(t.TempDir())
	cfg.GenWeight = 3
	tn, path, b := savedCheckpoint(t, cfg)
	at := len(ckptMagic)
	n := binary.LittleEndian.Uint32(b[at:])
	header, rest := b[at+4:at+4+int(n)], b[at+4+int(n):]
	old := bytes.Replace(header, []byte(`"gen_weight":3,`), nil, 1)
	require.Len(t, old, len(header)-len(`"gen_weight":3,`), "the key was in the header")
	out := binary.LittleEndian.AppendUint32(append([]byte(nil), b[:at]...), uint32(len(old)))
	require.NoError(t, os.WriteFile(path, append(append(out, old...), rest...), 0o644))
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.Equal(t, 1.0, ck.Config.GenWeight)
	require.Equal(t, tn.Model.Params(), ck.Trained.Params())
}

// Chains from noise run as long as the median buffer chain had when the
// checkpoint was written, and never shorter than one training chain.
func TestChainStepsFollowTheBuffer(t *testing.T) {
	tr, te := smallMNIST(t)
	cfg := quickConfig(t.TempDir())
	tn, err := NewTrainer(cfg, tr.Subset(128), te, nil)
	require.NoError(t, err)
	defer tn.Close()
	load := func() *Checkpoint {
		path := filepath.Join(cfg.OutDir, "c.ebm")
		require.NoError(t, SaveCheckpoint(path, tn))
		ck, err := LoadCheckpoint(path)
		require.NoError(t, err)
		return ck
	}
	for i := range tn.Buffer.Age {
		tn.Buffer.Age[i] = 10 * (i % 7) // median 30
	}
	require.Equal(t, 30, load().ChainSteps())
	clear(tn.Buffer.Age) // a fresh buffer: one training chain
	require.Equal(t, cfg.LangevinSteps, load().ChainSteps())

	noBuffer := cfg
	noBuffer.BufferSize = 0
	noBuffer.LangevinSteps = 50
	tn2, err := NewTrainer(noBuffer, tr.Subset(128), te, nil)
	require.NoError(t, err)
	defer tn2.Close()
	tn = tn2
	require.Equal(t, 50, load().ChainSteps())
}

// A run that keeps diverging stops with an error after its rollbacks, and
// the checkpoint on disk stays the last good one.
func TestPersistentDivergenceStopsAndKeepsTheGoodCheckpoint(t *testing.T) {
	tr, te := smallMNIST(t)
	cfg := quickConfig(t.TempDir())
	cfg.Epochs = 1
	cfg.LangevinSteps = 2
	tn, err := NewTrainer(cfg, tr.Subset(256), te, nil)
	require.NoError(t, err)
	defer tn.Close()
	path := filepath.Join(cfg.OutDir, "checkpoint.ebm")
	require.NoError(t, SaveCheckpoint(path, tn))
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	tn.OnStep = func(t *Trainer) { t.Model.Layers[0].W[0] = float32(math.Inf(1)); t.Model.Sync() }
	err = tn.Run(context.Background(), Hooks{Checkpoint: func(t *Trainer) error { return SaveCheckpoint(path, t) }})
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
	cfg := quickConfig(t.TempDir())
	cfg.Epochs = 2
	cfg.LangevinSteps = 2
	cfg.BufferSize = 100
	tn, err := NewTrainer(cfg, tr.Subset(320), te.Subset(200), nil)
	require.NoError(t, err)
	defer tn.Close()
	injected := false
	tn.OnStep = func(t *Trainer) {
		if t.P.Epoch == 2 && t.P.Batch == 2 && !injected {
			injected = true
			for i := range t.Model.Layers[2].B {
				t.Model.Layers[2].B[i] = 1e6 * float32(i%2*2-1) // energies far beyond the guard
			}
		}
	}
	require.NoError(t, tn.Run(context.Background(), Hooks{}))
	require.True(t, injected)
	require.Equal(t, 1, tn.P.Rollbacks)
	require.Equal(t, 0.5, tn.P.LRScale)
	require.Len(t, tn.P.History, 2)
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

	cfg.MaxRollbacks = 0
	tn2, err := NewTrainer(cfg, tr.Subset(320), te.Subset(200), nil)
	require.NoError(t, err)
	defer tn2.Close()
	injected = false
	tn2.OnStep = tn.OnStep
	require.ErrorContains(t, tn2.Run(context.Background(), Hooks{}), "giving up after 0 rollbacks")
}

func TestConfigValidationNamesTheFlag(t *testing.T) {
	for flag, mutate := range map[string]func(*Config){
		"--epochs":         func(c *Config) { c.Epochs = 0 },
		"--batch_size":     func(c *Config) { c.BatchSize = -1 },
		"--langevin_steps": func(c *Config) { c.LangevinSteps = 0 },
		"--langevin_sigma": func(c *Config) { c.LangevinSigma = -0.1 },
		"--langevin_alpha": func(c *Config) { c.LangevinAlpha = math.NaN() },
		"--lr":             func(c *Config) { c.LR = 0 },
		"--buffer_reinit":  func(c *Config) { c.BufferReinit = 2 },
		"--hidden":         func(c *Config) { c.Hidden = []int{3, 0} },
		"--ema":            func(c *Config) { c.EMA = 1 },
		"--gen_weight":     func(c *Config) { c.GenWeight = 0 },
	} {
		c := Default()
		mutate(&c)
		require.ErrorContains(t, c.Validate(), flag)
	}
	for _, name := range []string{"default", "original", "jem"} {
		c, err := Preset(name)
		require.NoError(t, err)
		require.NoError(t, c.Validate(), name)
	}
	_, err := Preset("fast")
	require.Error(t, err)
}

// Training steps, Langevin sampling included, give bit-identical models
// with one worker or several.
func TestTrainingIsIdenticalForAnyWorkerCount(t *testing.T) {
	tr, te := smallMNIST(t)
	run := func(workers int) *Trainer {
		cfg := quickConfig(t.TempDir())
		cfg.Workers = workers
		cfg.LangevinSteps = 3
		cfg.BufferSize = 0 // chains from noise: the sampler decides everything
		tn, err := NewTrainer(cfg, tr, te, nil)
		require.NoError(t, err)
		t.Cleanup(tn.Close)
		for _, idx := range tn.epochOrder(1)[:4] {
			_, err := tn.Step(idx)
			require.NoError(t, err)
		}
		return tn
	}
	serial, parallel := run(1), run(3)
	for i, p := range serial.Model.Params() {
		require.Equal(t, p, parallel.Model.Params()[i], "parameter %d", i)
	}
}

// The training step, sampling included, allocates nothing once warm.
func TestStepDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops objects)")
	}
	tr, te := smallMNIST(t)
	for _, classCond := range []bool{false, true} {
		cfg := quickConfig(t.TempDir())
		cfg.LangevinSteps = 2
		cfg.DataNoise = 0.03
		cfg.ClassCond = classCond
		tn, err := NewTrainer(cfg, tr, te, nil)
		require.NoError(t, err)
		batches := tn.epochOrder(1)
		var stepErr error
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := tn.Step(batches[tn.P.Step]); err != nil {
				stepErr = err
			}
		})
		tn.Close()
		require.NoError(t, stepErr)
		require.Zero(t, allocs, "class_cond %v", classCond)
	}
}

// With class_cond, the step's chains descend E(x,y) = -f(x)[y]: from noise
// they take the real batch's labels, and the samples the loss sees are
// exactly those of a conditional sampler run with those labels.
func TestClassConditionalChainsFollowTheirLabels(t *testing.T) {
	tr, te := smallMNIST(t)
	cfg := quickConfig(t.TempDir())
	cfg.LangevinSteps = 4
	cfg.BufferSize = 0
	cfg.ClassCond = true
	tn, err := NewTrainer(cfg, tr, te, nil)
	require.NoError(t, err)
	defer tn.Close()
	// A twin trainer of the same seed holds the model the chains saw.
	twin, err := NewTrainer(cfg, tr, te, nil)
	require.NoError(t, err)
	defer twin.Close()
	before := twin.Model
	idx := tn.epochOrder(1)[0]
	_, err = tn.Step(idx)
	require.NoError(t, err)
	b, dim := cfg.BatchSize, tr.Dim()
	got := tn.x[b*dim : 2*b*dim]

	labels := make([]int, b)
	for i, k := range idx {
		labels[i] = int(tr.Labels[k])
	}
	s, err := langevin.New(Energy{before}, langevin.Config{Steps: cfg.LangevinSteps, StepSize: float32(cfg.LangevinAlpha),
		Noise: float32(cfg.LangevinSigma), Clamp: cfg.Clamp, Seed: cfg.Seed, Workers: 1})
	require.NoError(t, err)
	defer s.Close()
	want := make([]float32, b*dim)
	require.NoError(t, s.Run(want, labels, nil, true, 0))
	require.Equal(t, want, got)
	uncond := make([]float32, b*dim)
	require.NoError(t, s.Run(uncond, nil, nil, true, 0))
	require.NotEqual(t, uncond, got, "the labels must change the chains")
}

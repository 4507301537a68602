package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
	"github.com/stretchr/testify/require"
)

// lossValue evaluates the hybrid loss in float64 from logits, as written:
// CE(real) + w*(mean E(real) - mean E(sample)) + lambda*mean(E_real^2 + E_sample^2).
// The rows are b real images, b samples and, with 3b rows, the b real
// images of the energy terms (the first b then carry the cross-entropy alone).
func lossValue(logits []float32, y []int, out int, lambda, w float64) float64 {
	b := len(y)
	split := len(logits) == 3*b*out
	var ce, er, es, reg float64
	for r := range len(logits) / out {
		z := logits[r*out : (r+1)*out]
		e := -nn.LogSumExp(z)
		switch {
		case r < b:
			ce += nn.CrossEntropy(z, y[r])
			if split {
				continue
			}
			er += e
		case r < 2*b:
			es += e
		default:
			er += e
		}
		reg += e * e
	}
	return (ce + w*(er-es) + lambda*reg) / float64(b)
}

// The gradient the trainer backpropagates is the derivative of the loss as
// specified, and E(x) = -logsumexp f(x) carries the sign.
func TestHybridLossGradientMatchesItsDefinition(t *testing.T) {
	for _, tc := range []struct {
		w     float64
		split bool
	}{{1, false}, {2.5, false}, {1, true}, {2.5, true}} {
		w, split := tc.w, tc.split
		t.Run(fmt.Sprintf("gen_weight=%v,split=%v", w, split), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			const b, out, lambda = 3, 10, 0.3
			rows := 2 * b
			if split {
				rows = 3 * b
			}
			logits := make([]float32, rows*out)
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
		r := quickRecipe()
		r.GenWeight = w
		tn := newTrainer(t, r, tr.Subset(256), te.Subset(100))
		st, err := tn.Step(tn.epochOrder(1)[0])
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

// With --shift_ce_only the cross-entropy sees the moved digits and the
// generative term the same digits unmoved: the loss pass holds the batch as
// drawn after the samples, and its E_real is theirs, not the moved ones'.
func TestShiftCEOnlyKeepsTheEnergysDigitsInPlace(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.Shift, r.ShiftCEOnly, r.DataNoise = 2, true, 0
	tn := newTrainer(t, r, tr, te)
	// A twin of the same seed holds the model the step's loss saw.
	twin := newTrainer(t, r, tr, te)
	idx := tn.epochOrder(1)[0]
	st, err := tn.Step(idx)
	require.NoError(t, err)
	b, dim := r.BatchSize, tr.Dim()
	unmoved := make([]float32, b*dim)
	for i, k := range idx {
		tr.Image(k, unmoved[i*dim:(i+1)*dim])
	}
	require.Equal(t, unmoved, tn.x[2*b*dim:3*b*dim], "the energy's real images are the batch unmoved")
	require.NotEqual(t, unmoved, tn.x[:b*dim], "the cross-entropy's images are moved")
	_, energies, err := jem.Scores(twin.Model, unmoved, b)
	require.NoError(t, err)
	var want float64
	for _, e := range energies {
		want += float64(e)
	}
	require.InDelta(t, want/float64(b), st.EReal, 1e-5, "E_real over the unmoved digits")
}

// --shift_ce_only without --shift would be a flag accepted and ignored.
func TestShiftCEOnlyNeedsAShift(t *testing.T) {
	r := DefaultRecipe()
	r.ShiftCEOnly = true
	require.ErrorContains(t, r.Validate(), "--shift_ce_only")
	r.Shift = 1
	require.NoError(t, r.Validate())
}

// Training steps, Langevin sampling included, give bit-identical models
// with one worker or several.
func TestTrainingIsIdenticalForAnyWorkerCount(t *testing.T) {
	tr, te := smallMNIST(t)
	for _, convs := range []string{"", "8c4s2p1,12c3s2p1"} {
		run := func(workers int) *Trainer {
			r := quickRecipe()
			r.Convs = convs
			r.LangevinSteps = 3
			r.BufferSize = 0 // chains from noise: the sampler decides everything
			tn, err := NewTrainer(r, workers, tr, te, nil)
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
			require.Equal(t, p, parallel.Model.Params()[i], "convs %q: parameter %d", convs, i)
		}
	}
}

// The training step, sampling included, allocates nothing once warm, with
// every lever.
func TestStepDoesNotAllocate(t *testing.T) {
	tr, te := smallMNIST(t)
	for _, tc := range []struct {
		classCond bool
		convs     string
		shift     int
		ceOnly    bool
		// the levers: SAM, a plain classifier, proximal steps, the class start
		rho, gen, maxStep float64
		start             string
	}{{false, "", 0, false, 0, 1, 0, "uniform"}, {true, "", 0, false, 0, 1, 0, "uniform"},
		{false, "8c4s2p1,12c3s2p1", 2, false, 0, 1, 0, "uniform"}, {false, "", 1, true, 0, 1, 0, "uniform"},
		{false, "", 0, false, 0.05, 1, 0, "uniform"}, {false, "", 0, false, 0, 0, 0, "uniform"},
		{false, "", 0, false, 0.05, 0, 0, "uniform"}, {false, "", 0, false, 0, 1, 0.03, "uniform"},
		{false, "", 0, false, 0, 1, 0, "class_gauss"}} {
		classCond := tc.classCond
		r := quickRecipe()
		r.Convs, r.Shift, r.ShiftCEOnly = tc.convs, tc.shift, tc.ceOnly
		r.SAMRho, r.GenWeight, r.LangevinMaxStep, r.ChainStart = tc.rho, tc.gen, tc.maxStep, tc.start
		r.LangevinSteps = 2
		r.DataNoise = 0.03
		r.ClassCond = classCond
		tn := newTrainer(t, r, tr, te)
		batches := tn.epochOrder(1)
		var stepErr error
		n := allocs.PerRun(5, func() {
			if _, err := tn.Step(batches[tn.Progress.Step]); err != nil {
				stepErr = err
			}
		})
		require.NoError(t, stepErr)
		require.Zero(t, n, "%+v", tc)
	}
}

// With class_cond, the step's chains descend E(x,y) = -f(x)[y]: from noise
// they take the real batch's labels, and the samples the loss sees are
// exactly those of a conditional sampler run with those labels.
func TestClassConditionalChainsFollowTheirLabels(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.LangevinSteps = 4
	r.BufferSize = 0
	r.ClassCond = true
	tn := newTrainer(t, r, tr, te)
	// A twin trainer of the same seed holds the model the chains saw.
	twin := newTrainer(t, r, tr, te)
	before := twin.Model
	idx := tn.epochOrder(1)[0]
	_, err := tn.Step(idx)
	require.NoError(t, err)
	b, dim := r.BatchSize, tr.Dim()
	got := tn.x[b*dim : 2*b*dim]

	labels := make([]int, b)
	for i, k := range idx {
		labels[i] = int(tr.Labels[k])
	}
	s, err := langevin.New(jem.Energy{Model: before}, langevin.Config{Steps: r.LangevinSteps, Alpha: float32(r.LangevinAlpha),
		Sigma: float32(r.LangevinSigma), Clamp: r.Clamp, Seed: r.Seed, Workers: 1})
	require.NoError(t, err)
	defer s.Close()
	want := make([]float32, b*dim)
	require.NoError(t, s.Run(want, labels, nil, true, 0))
	require.Equal(t, want, got)
	uncond := make([]float32, b*dim)
	require.NoError(t, s.Run(uncond, nil, nil, true, 0))
	require.NotEqual(t, uncond, got, "the labels must change the chains")
}

// Scores are softmax f(x) and -logsumexp f(x), for any number of images.
func TestScoresAreTheClassifierAndTheEnergy(t *testing.T) {
	m, err := nn.New(nn.MLPArch(6, 5, 3), rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	x := make([]float32, 300*6)
	for i := range x {
		x[i] = float32(i%13)/6 - 1
	}
	probs, energies, err := jem.Scores(m, x, 300)
	require.NoError(t, err)
	ws := m.NewWorkspace(300)
	z, err := ws.Forward(x, 300)
	require.NoError(t, err)
	for i := range 300 {
		row := z[i*3 : (i+1)*3]
		require.InDelta(t, -nn.LogSumExp(row), energies[i], 1e-9)
		var sum float64
		for j := range 3 {
			sum += float64(probs[i*3+j])
		}
		require.InDelta(t, 1, sum, 1e-6)
		require.Equal(t, nn.Argmax(row), nn.Argmax(probs[i*3:(i+1)*3]))
	}
}

// The counted FLOPs of a step are the products of the original
// configuration: 50 steps of 64 chains through 784-512-512-512-10 and back
// to the input, then the batch of 128 rows forward and back.
func TestStepFLOPsCountsTheProducts(t *testing.T) {
	r, err := PresetRecipe("original")
	require.NoError(t, err)
	d := &mnist.Dataset{N: 64, Rows: 28, Cols: 28, Pixels: make([]uint8, 64*784), Labels: make([]uint8, 64)}
	tn := newTrainer(t, r, d, d)
	macs := 784.0*512 + 512*512 + 512*512 + 512*10
	want := 2 * (50*64*2*macs + 128*(3*macs-784*512))
	require.Equal(t, want, tn.StepFLOPs())
	require.InDelta(t, 12.53e9, want, 0.01e9)
}

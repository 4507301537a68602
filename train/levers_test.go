package train

import (
	"math"
	"testing"

	"github.com/ebm-project/ebm/nn"
	"github.com/stretchr/testify/require"
)

// --gen_weight 0 is the same network trained as a plain classifier: no
// chains and no buffer, a loss pass over the real batch alone, and the loss
// is its cross-entropy; --shift_ce_only changes nothing then.
func TestGenWeightZeroIsAPlainClassifier(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.GenWeight = 0
	tn := newTrainer(t, r, tr.Subset(256), te.Subset(100))
	require.Nil(t, tn.Buffer)
	require.Len(t, tn.x, r.BatchSize*tr.Dim())
	st, err := tn.Step(tn.epochOrder(1)[0])
	require.NoError(t, err)
	require.Zero(t, st.ESample)
	require.InDelta(t, st.CE, st.Loss, 1e-12)

	macs := 0.0
	first := 0.0
	for i, l := range tn.Model.Layers {
		macs += float64(l.Rows() * l.In * l.Out)
		if i == 0 {
			first = macs
		}
	}
	require.Equal(t, 2*float64(r.BatchSize)*(3*macs-first), tn.StepFLOPs(), "no chains counted")

	// With no generative term, --shift_ce_only is --shift: the moved
	// digits train the cross-entropy, which is the whole loss.
	r.Shift = 2
	shifted := newTrainer(t, r, tr.Subset(256), te.Subset(100))
	r.ShiftCEOnly = true
	ceOnly := newTrainer(t, r, tr.Subset(256), te.Subset(100))
	require.NoError(t, r.Validate())
	require.Len(t, ceOnly.x, r.BatchSize*tr.Dim(), "no unmoved rows")
	for _, k := range []*Trainer{shifted, ceOnly} {
		_, err := k.Step(k.epochOrder(1)[0])
		require.NoError(t, err)
	}
	require.Equal(t, shifted.Model.Params(), ceOnly.Model.Params())
}

// With --sam_rho the step applies the gradient taken at w + rho*g/|g|, g
// the gradient at w, to w: the SAM trainer's gradient is the one a plain
// trainer computes from those weights, and its update is Adam's from w with
// that gradient.
func TestSAMStepAppliesTheGradientAtTheWorstNearbyWeights(t *testing.T) {
	tr, te := smallMNIST(t)
	tr, te = tr.Subset(256), te.Subset(100)
	r := quickRecipe()
	r.GenWeight = 0 // no chains: the batch alone decides the gradient
	const rho = 0.05
	idx := newTrainer(t, r, tr, te).epochOrder(1)[0]

	plain := newTrainer(t, r, tr, te)
	_, err := plain.Step(idx)
	require.NoError(t, err)
	g := plain.grads // the gradient at w

	// A plain trainer moved to w + rho*g/|g| as SAM moves it.
	at := newTrainer(t, r, tr, te)
	s, err := nn.NewSAM(at.Model, rho)
	require.NoError(t, err)
	_, err = s.Ascend(at.Model, g, nil)
	require.NoError(t, err)
	_, err = at.Step(idx)
	require.NoError(t, err)

	r.SAMRho = rho
	sam := newTrainer(t, r, tr, te)
	_, err = sam.Step(idx)
	require.NoError(t, err)
	require.Equal(t, at.grads.G, sam.grads.G, "the applied gradient is the one at w + rho*g/|g|")
	require.NotEqual(t, g.G, sam.grads.G)

	// Adam from w with that gradient.
	r.SAMRho = 0
	ref := newTrainer(t, r, tr, te)
	ref.Opt.LR = r.LRAt(0, ref.totalSteps())
	_, err = ref.Opt.Step(ref.Model, sam.grads)
	require.NoError(t, err)
	require.Equal(t, ref.Model.Params(), sam.Model.Params())
}

// In a JEM step SAM reuses the step's samples: the chains run once, at w,
// and leave the buffer as a step without SAM does.
func TestSAMReusesTheStepsSamples(t *testing.T) {
	tr, te := smallMNIST(t)
	tr, te = tr.Subset(256), te.Subset(100)
	r := quickRecipe()
	plain := newTrainer(t, r, tr, te)
	r.SAMRho = 0.05
	sam := newTrainer(t, r, tr, te)
	idx := plain.epochOrder(1)[0]
	a, err := plain.Step(idx)
	require.NoError(t, err)
	b, err := sam.Step(idx)
	require.NoError(t, err)
	require.Equal(t, plain.Buffer.Data, sam.Buffer.Data)
	require.Equal(t, a, b, "the step reports the loss at w")
	require.NotEqual(t, plain.Model.Params(), sam.Model.Params())
}

// With --chain_start class_gauss a chain starts from a Gaussian fitted to
// its class's training images: a buffer slot of class c starts nearer that
// class's mean image than any other class's; chains without a buffer start
// from the law too, not from noise.
func TestClassGaussStartsChainsNearTheirClass(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.ChainStart = "class_gauss"
	tn := newTrainer(t, r, tr, te)
	dim, classes := tr.Dim(), 10
	means := make([][]float64, classes)
	counts := make([]int, classes)
	img := make([]float32, dim)
	for i := range tr.N {
		c := int(tr.Labels[i])
		if means[c] == nil {
			means[c] = make([]float64, dim)
		}
		tr.Image(i, img)
		for j, v := range img {
			means[c][j] += float64(v)
		}
		counts[c]++
	}
	for c := range means {
		for j := range means[c] {
			means[c][j] /= float64(counts[c])
		}
	}
	dist := func(x []float32, m []float64) float64 {
		var s float64
		for j, v := range x {
			s += (float64(v) - m[j]) * (float64(v) - m[j])
		}
		return s
	}
	nearest := 0
	for k, c := range tn.Buffer.Labels[:200] {
		x := tn.Buffer.Data[k*dim : (k+1)*dim]
		best := 0
		for o := range classes {
			if dist(x, means[o]) < dist(x, means[best]) {
				best = o
			}
		}
		if best == c {
			nearest++
		}
	}
	require.Greater(t, nearest, 150, "slots nearest their own class's mean, of 200 (chance: 20)")

	r.BufferSize = 0
	r.LangevinSteps = 1
	nb := newTrainer(t, r, tr.Subset(256), te.Subset(100))
	_, err := nb.Step(nb.epochOrder(1)[0])
	require.NoError(t, err)
	b := r.BatchSize
	var border float64 // MNIST's corner pixel: -1 in every digit, anywhere in noise
	for i := range b {
		border += math.Abs(float64(nb.x[(b+i)*dim]) + 1)
	}
	require.Less(t, border/float64(b), 0.1, "chains without a buffer start from the class law")

	r.ChainStart = "bogus"
	require.ErrorContains(t, r.Validate(), "--chain_start")
}

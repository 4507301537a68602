package eval

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/langevin"
	"github.com/stretchr/testify/require"
)

// classLevel starts a chain of class c as the flat image c/10 - 0.5: the
// start each chain took shows in its pixels.
type classLevel struct{}

func (classLevel) Fill(x []float32, c int, _ *rand.Rand) {
	for i := range x {
		x[i] = float32(c)/10 - 0.5
	}
}

// givenLevel is a conditional start: it fills what is not given with the
// number of pixels given, scaled, and reports class 0.
type givenLevel struct{ classLevel }

func (givenLevel) FillGiven(x []float32, known int, _ *rand.Rand) int {
	for i := known; i < len(x); i++ {
		x[i] = float32(known) / 1000
	}
	return 0
}

// With a start law the chains from noise begin from its draws, and the
// report says which law: the animation's first frame is the start itself,
// a flat image of one class's level; an inpainting's hidden half starts
// from the lower half of a draw, or from the law's conditional given the
// visible half. A law under the name of uniform noise, or a name unknown,
// is refused; a known name alone is fitted.
func TestChainsFromAStartLawBeginThere(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model and evaluates it (CI's purego pass); the full suite runs it")
	}
	d := loadData(t, false)
	ck, _ := smallCheckpoint(t, d)
	d.Test = d.Test.Subset(200)
	o := Options{Samples: 20, Dynamics: langevin.Config{Steps: 2, Alpha: 1, Sigma: 0.01, Clamp: true, Workers: 2, Seed: 1}, InpaintSteps: 1,
		Start: classLevel{}, ChainStart: "class_level"}
	rep, err := Evaluate(context.Background(), ck, d, o)
	require.NoError(t, err)
	require.Equal(t, "class_level", rep.Generation.ChainStart)
	page, err := rep.HTML("run/checkpoint.ebm", ck.Model.Arch)
	require.NoError(t, err)
	require.Contains(t, string(page), "chains from the run&#39;s start law (class_level)", "the report says where the chains started")
	require.NotContains(t, string(page), "uniform noise,")
	first := rep.ChainFrames[0]
	dim := d.Test.Dim()
	for i := range frameChains {
		img := first[i*dim : (i+1)*dim]
		for _, v := range img {
			require.Equal(t, img[0], v, "chain %d starts flat", i)
		}
		c := (img[0] + 0.5) * 10
		require.InDelta(t, float64(int(c+0.5)), float64(c), 1e-5, "chain %d starts at a class's level", i)
	}
	// Inpainting: the visible half is the digit's, the hidden half a draw.
	hidden := rep.InpaintGrid[:dim]
	lower := hidden[dim/2:]
	for _, v := range lower {
		require.Equal(t, lower[0], v, "the hidden half starts flat")
	}
	require.Equal(t, d.Test.Floats(0, 1)[:dim/2], hidden[:dim/2])

	// A law that can condition on the visible half starts the hidden half
	// from its conditional draw, given exactly the visible half.
	o.Start, o.InpaintSteps = givenLevel{}, 0
	_, grid, err := Inpaint(context.Background(), ck.Model, d.Judge.Net, d.Test, 3, o)
	require.NoError(t, err)
	for i := range 3 {
		fill := grid[(3+i)*dim : (4+i)*dim]
		require.Equal(t, d.Test.Floats(i, i+1)[:dim/2], fill[:dim/2], "digit %d: the visible half", i)
		for _, v := range fill[dim/2:] {
			require.Equal(t, float32(dim/2)/1000, v, "digit %d: the hidden half, given %d pixels", i, dim/2)
		}
	}
	o.Start, o.InpaintSteps = classLevel{}, 1

	o.ChainStart = "uniform"
	_, err = Evaluate(context.Background(), ck, d, o)
	require.ErrorContains(t, err, "chain start")
	o.Start, o.ChainStart = nil, "bogus"
	_, err = Evaluate(context.Background(), ck, d, o)
	require.ErrorContains(t, err, "want one of")

	// A name alone is fitted to the training images; without them it
	// cannot be.
	o.ChainStart = "class_gauss"
	require.ErrorContains(t, o.FitStart(nil), "needs the training images")
	require.NoError(t, o.FitStart(d.Train))
	require.IsType(t, &langevin.ClassGaussians{}, o.Start)
	o.Start = nil

	o.ChainStart = ""
	rep, err = Evaluate(context.Background(), ck, d, o)
	require.NoError(t, err)
	require.Equal(t, "uniform", rep.Generation.ChainStart)
	page, err = rep.HTML("run/checkpoint.ebm", ck.Model.Arch)
	require.NoError(t, err)
	require.Contains(t, string(page), "chains from uniform noise,")
}

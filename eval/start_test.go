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

// With a start law the chains from noise begin from its draws, and the
// report says which law: the animation's first frame is the start itself,
// a flat image of one class's level; an inpainting's hidden half starts
// from the lower half of a draw. A name without its law, or a law
// under the name of uniform noise, is refused.
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

	o.ChainStart = "uniform"
	_, err = Evaluate(context.Background(), ck, d, o)
	require.ErrorContains(t, err, "chain start")
	o.Start, o.ChainStart = nil, "class_gauss"
	_, err = Evaluate(context.Background(), ck, d, o)
	require.ErrorContains(t, err, "chain start")

	o.ChainStart = ""
	rep, err = Evaluate(context.Background(), ck, d, o)
	require.NoError(t, err)
	require.Equal(t, "uniform", rep.Generation.ChainStart)
}

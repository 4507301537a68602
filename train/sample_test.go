package train

import (
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/nn"
	"github.com/stretchr/testify/require"
)

// classShade starts a chain of class c as the flat image c/10: the start
// shows in every pixel.
type classShade struct{}

func (classShade) Fill(x []float32, c int, _ *rand.Rand) {
	for i := range x {
		x[i] = float32(c) / 10
	}
}

// Sample's chains begin at their start law's draws: a conditional chain
// from its class's, an unconditional one from a class drawn at random (so
// several classes appear); with no step size and no noise they stay there.
func TestSampleStartsFromTheStartLaw(t *testing.T) {
	m, err := nn.New(nn.MLPArch(6, 5, 3), rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	ch := Chains{N: 30, Class: 2, Start: classShade{}, Config: langevin.Config{Steps: 1, Seed: 1}}
	x, err := Sample(m, ch)
	require.NoError(t, err)
	for _, v := range x {
		require.Equal(t, float32(0.2), v)
	}
	ch.Class = -1
	x, err = Sample(m, ch)
	require.NoError(t, err)
	seen := map[float32]bool{}
	for i := range ch.N {
		img := x[i*6 : (i+1)*6]
		for _, v := range img {
			require.Equal(t, img[0], v, "chain %d starts flat", i)
		}
		seen[img[0]] = true
	}
	require.Len(t, seen, 3, "every class starts some chain")

	ch.Start = nil
	x, err = Sample(m, ch)
	require.NoError(t, err)
	require.NotEqual(t, x[0], x[1], "without a law, uniform noise")
}

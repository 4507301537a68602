package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/pool"
	"github.com/stretchr/testify/require"
)

// A parallel workspace, Adam step, moving average and Sync give the same
// bits as the serial ones, for any number of workers and any batch size,
// including sizes that leave partial register tiles.
func TestParallelPassesGiveTheSerialBits(t *testing.T) {
	conv, err := ConvArch(28, 28, 1, []ConvSpec{{16, 3, 1, 1}, {32, 4, 2, 1}, {40, 4, 2, 1}}, []int{24}, 10)
	require.NoError(t, err)
	for _, workers := range []int{1, 2, 3, 5} {
		p := pool.New(workers)
		for _, tc := range []struct {
			arch Arch
			ns   []int
		}{{MLPArch(37, 70, 41, 10), []int{1, 7, 33, 128}}, {conv, []int{1, 9, 64}}} {
			for _, n := range tc.ns {
				t.Run(fmt.Sprintf("%v/workers=%d/n=%d", tc.arch, workers, n), func(t *testing.T) {
					parallelPassesGiveTheSerialBits(t, tc.arch, n, p.Run, workers)
				})
			}
		}
		p.Close()
	}
}

func parallelPassesGiveTheSerialBits(t *testing.T, arch Arch, n int, run Parallel, workers int) {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	serialM, err := New(arch, rand.New(rand.NewPCG(2, 2)))
	require.NoError(t, err)
	parallelM, err := New(arch, rand.New(rand.NewPCG(2, 2)))
	require.NoError(t, err)
	x := randVec(rng, n*serialM.In(), 1)
	dl := randVec(rng, n*serialM.Out(), 1)

	sws, pws := serialM.NewWorkspace(n), parallelM.NewParallelWorkspace(n, run, workers)
	sz, err := sws.Forward(x, n)
	require.NoError(t, err)
	pz, err := pws.Forward(x, n)
	require.NoError(t, err)
	require.Equal(t, sz, pz, "logits")
	sg, pg := serialM.NewGrads(), parallelM.NewGrads()
	require.NoError(t, sws.Backward(dl, sg))
	require.NoError(t, pws.Backward(dl, pg))
	require.Equal(t, sg.G, pg.G, "parameter gradients")
	sdx, err := sws.InputGrad(dl)
	require.NoError(t, err)
	pdx, err := pws.InputGrad(dl)
	require.NoError(t, err)
	require.Equal(t, sdx, pdx, "input gradients")

	sa, pa := NewAdam(serialM, 1e-3), NewAdam(parallelM, 1e-3)
	sa.ClipNorm, pa.ClipNorm = 0.1, 0.1
	se, err := NewEMA(serialM, 0.9)
	require.NoError(t, err)
	pe, err := NewEMA(parallelM, 0.9)
	require.NoError(t, err)
	for range 3 {
		sn, err := sa.Step(serialM, sg)
		require.NoError(t, err)
		pn, err := pa.StepParallel(parallelM, pg, run)
		require.NoError(t, err)
		require.Equal(t, sn, pn, "gradient norm")
		se.Update(serialM)
		pe.UpdateParallel(parallelM, run)
	}
	require.Equal(t, serialM.Params(), parallelM.Params(), "weights")
	require.Equal(t, se.Params(), pe.Params(), "moving average")
}

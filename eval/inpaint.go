package eval

import (
	"context"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

const (
	inpaintDigits = 1000 // test digits an evaluation inpaints
	inpaintShown  = 8    // digits shown in the grid
)

// Inpaint hides the lower half of the first n test digits, fills it by
// Langevin dynamics on the hidden pixels only (E(x), visible pixels fixed)
// from uniform noise or, with o.Start, from the start law (conditioned on
// the visible half where the law can be), and returns the judge's accuracy on the results and a grid (8 hidden
// inputs, then their fills, then the originals).
func Inpaint(ctx context.Context, m, judge *nn.Net, test *mnist.Dataset, n int, o Options) (float64, []float32, error) {
	dim := test.Dim()
	mask := make([]bool, dim)
	for i := dim / 2; i < dim; i++ {
		mask[i] = true
	}
	d := o.Dynamics
	d.Steps, d.Clamp, d.Seed = o.InpaintSteps, true, d.Seed^streams.InpaintSeed
	s, err := langevin.New(jem.Energy{Model: m}, d)
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	if err := s.SetMask(mask); err != nil {
		return 0, nil, err
	}
	originals := test.Floats(0, n)
	x := append([]float32(nil), originals...)
	rng := rand.New(rand.NewPCG(o.Dynamics.Seed, streams.InpaintNoise))
	switch start := o.Start.(type) {
	case langevin.ConditionalStart:
		// The start law conditioned on the visible half: for class
		// Gaussians, a class by Bayes' rule on the visible pixels and the
		// hidden ones from its Gaussian given them.
		srng := rand.New(rand.NewPCG(o.Dynamics.Seed^streams.EvalStart, streams.InpaintRound))
		for i := range n {
			start.FillGiven(x[i*dim:(i+1)*dim], dim/2, srng)
		}
	case nil:
		for i := range n {
			for j := dim / 2; j < dim; j++ {
				x[i*dim+j] = float32(2*rng.Float64() - 1)
			}
		}
	default:
		// The hidden half of a draw of a class picked at random: the start
		// law's marginal, which knows nothing of the visible half.
		draw := make([]float32, n*dim)
		o.fill(draw, nil, dim, m.Out(), streams.InpaintRound)
		for i := range n {
			copy(x[i*dim+dim/2:(i+1)*dim], draw[i*dim+dim/2:(i+1)*dim])
		}
	}
	shown := min(inpaintShown, n)
	hidden := append([]float32(nil), x[:shown*dim]...)
	o.watch(s, "inpainting")
	if err := s.RunContext(ctx, x, nil, nil, false, streams.InpaintRound); err != nil {
		return 0, nil, err
	}
	pred, err := Predict(ctx, judge, judge.NewWorkspace(judgeBatch), x, n)
	if err != nil {
		return 0, nil, err
	}
	var acc float64
	for i, p := range pred {
		if p == int(test.Labels[i]) {
			acc++
		}
	}
	grid := append(append(hidden, x[:shown*dim]...), originals[:shown*dim]...)
	return acc / float64(n), grid, nil
}

package train

import (
	"fmt"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
)

// gaussRidge is added to each class's covariance, as JEM++ does: pixels
// that never change (MNIST's border) still get a little spread, and the
// factor exists.
const gaussRidge = 1e-4

// ChainStart is the law named by --chain_start: nil for uniform noise (the
// sampler's own), or Gaussians fitted to each class of set, the training
// images. The fit is a function of those images alone, so a resumed run,
// or an evaluation, fits the same law again.
func ChainStart(name string, set *mnist.Dataset) (langevin.Start, error) {
	switch name {
	case "uniform":
		return nil, nil
	case "class_gauss":
	default:
		return nil, bad("chain_start", "--chain_start = %q: want one of %v", name, ChainStarts)
	}
	classes := len(set.ClassNames())
	g, err := langevin.NewClassGaussians(set.Dim(), classes, gaussRidge)
	if err != nil {
		return nil, bad("chain_start", "--chain_start class_gauss: %v (--chain_start uniform fits nothing)", err)
	}
	dim := set.Dim()
	var x []float32
	for c := range classes {
		x = x[:0]
		for i, l := range set.Labels[:set.N] {
			if int(l) == c {
				x = append(x, make([]float32, dim)...)
				set.Image(i, x[len(x)-dim:])
			}
		}
		if len(x) == 0 {
			return nil, bad("chain_start", "--chain_start class_gauss: class %d (%s) has no training images", c, set.ClassNames()[c])
		}
		if err := g.Fit(c, x); err != nil {
			return nil, fmt.Errorf("--chain_start class_gauss: %w", err)
		}
	}
	return g, nil
}

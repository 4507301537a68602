package eval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// oodSets are the out-of-distribution sets in report order, with the names
// of the JSON and of the energy histograms.
var oodSets = []struct{ key, title string }{
	{"fashion", "Fashion-MNIST"}, {"uniform", "uniform noise"}, {"gaussian", "Gaussian noise"}, {"inverted", "inverted MNIST"},
}

// detectOOD fills ood_auroc: how well each score tells the MNIST test set
// (positives, scores test) from each OOD set, and Fashion-MNIST's figure
// per clothing class.
func detectOOD(ctx context.Context, m *nn.Net, test *scores, testX []float32, data Data, o Options, rep *Report) error {
	// Uniform and Gaussian noise images, and the test digits inverted, as
	// many as the test set; the two noises interleave on one stream.
	rng := rand.New(rand.NewPCG(o.Dynamics.Seed, streams.OODNoise))
	n, dim := data.Test.N, data.Test.Dim()
	sets := map[string][]float32{"uniform": make([]float32, n*dim), "gaussian": make([]float32, n*dim), "inverted": make([]float32, n*dim)}
	for i := range sets["uniform"] {
		sets["uniform"][i] = float32(2*rng.Float64() - 1)
		sets["gaussian"][i] = float32(math.Max(-1, math.Min(1, rng.NormFloat64())))
		sets["inverted"][i] = -testX[i]
	}
	if data.Fashion != nil {
		sets["fashion"] = data.Fashion.Floats(0, data.Fashion.N)
	}
	rep.OODAUROC = map[string]map[string]float64{}
	rep.OODScoreAUROC = map[string]float64{}
	for i, set := range oodSets {
		o.report("out-of-distribution", i, len(oodSets))
		x, ok := sets[set.key]
		if !ok {
			continue
		}
		s, err := scoreSet(ctx, m, x, len(x)/dim)
		if err != nil {
			return err
		}
		rep.OODAUROC[set.key] = map[string]float64{}
		for score, pair := range map[string][2][]float64{
			"logpx": {test.logpx, s.logpx}, "maxsoftmax": {test.maxSoftmax, s.maxSoftmax}, "gradnorm": {test.negGradNorm, s.negGradNorm},
		} {
			if rep.OODAUROC[set.key][score], err = AUROC(pair[0], pair[1]); err != nil {
				return err
			}
		}
		rep.OODScoreAUROC[set.key] = rep.OODAUROC[set.key][rep.OODScore]
		rep.Energies = append(rep.Energies, EnergySet{set.title, negate(s.logpx)})
		if set.key == "fashion" {
			if rep.FashionPerClass, err = perClassAUROC(test.logpx, s.logpx, data.Fashion.Labels); err != nil {
				return err
			}
		}
	}
	return nil
}

// perClassAUROC is the AUROC of pos against the negatives of each class c
// (labels[i] == c) on its own; nil when a class has no images (a cut-down
// OOD set), as no figure is then defined for it.
func perClassAUROC(pos, neg []float64, labels []uint8) ([]float64, error) {
	byClass := make([][]float64, mnist.Classes)
	for i, l := range labels {
		if int(l) >= len(byClass) {
			return nil, fmt.Errorf("eval: OOD label %d of image %d: want 0-9", l, i)
		}
		byClass[l] = append(byClass[l], neg[i])
	}
	out := make([]float64, mnist.Classes)
	for c, v := range byClass {
		if len(v) == 0 {
			return nil, nil
		}
		a, err := AUROC(pos, v)
		if err != nil {
			return nil, fmt.Errorf("eval: OOD class %d: %w", c, err)
		}
		out[c] = a
	}
	return out, nil
}

// scores are per-image numbers from one pass of the model.
type scores struct {
	logpx       []float64 // logsumexp f(x) = -E(x): log p(x) up to a constant
	maxSoftmax  []float64
	negGradNorm []float64 // -|grad_x log p(x)|: higher for typical inputs
	logProb     []float64 // n x classes log-softmax
	pred        []int
}

// scoreBatch is the batch of scoreSet's passes; no score depends on it.
const scoreBatch = 250

func scoreSet(ctx context.Context, m *nn.Net, x []float32, n int) (*scores, error) {
	ev := jem.Energy{Model: m}.NewEvaluator(scoreBatch)
	dim, classes := m.In(), m.Out()
	s := &scores{logpx: make([]float64, n), maxSoftmax: make([]float64, n), negGradNorm: make([]float64, n),
		logProb: make([]float64, n*classes), pred: make([]int, n)}
	ws := m.NewWorkspace(scoreBatch)
	e := make([]float32, scoreBatch)
	g := make([]float32, scoreBatch*dim)
	for lo := 0; lo < n; lo += scoreBatch {
		if err := ctx.Err(); err != nil { // a batch takes milliseconds: the page's leaving is heard at once
			return nil, err
		}
		b := min(scoreBatch, n-lo)
		xb := x[lo*dim : (lo+b)*dim]
		z, err := ws.Forward(xb, b)
		if err != nil {
			return nil, err
		}
		for i := range b {
			row := z[i*classes : (i+1)*classes]
			lse := nn.LogSumExp(row)
			s.logpx[lo+i] = lse
			s.pred[lo+i] = nn.Argmax(row)
			s.maxSoftmax[lo+i] = math.Exp(float64(row[s.pred[lo+i]]) - lse)
			for j, v := range row {
				s.logProb[(lo+i)*classes+j] = float64(v) - lse
			}
		}
		if err := ev.EnergyGrad(xb, nil, e[:b], g[:b*dim]); err != nil {
			return nil, err
		}
		for i := range b {
			var ss float64
			for _, v := range g[i*dim : (i+1)*dim] {
				ss += float64(v) * float64(v)
			}
			s.negGradNorm[lo+i] = -math.Sqrt(ss)
		}
	}
	return s, nil
}

func negate(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

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

// oodSet is one out-of-distribution set of the report: its JSON key and
// its title on the report page.
type oodSet struct{ key, title string }

// detectOOD fills ood_auroc: how well each score tells the test set
// (positives, scores test) from each OOD set, the data's own OOD sets and
// three made from noise and the test images themselves; and each data
// set's figure class by class.
func detectOOD(ctx context.Context, m *nn.Net, test *scores, testX []float32, data Data, o Options, rep *Report) error {
	// Uniform and Gaussian noise images, and the test images inverted, as
	// many as the test set; the two noises interleave on one stream.
	rng := rand.New(rand.NewPCG(o.Dynamics.Seed, streams.OODNoise))
	n, dim := data.Test.N, data.Test.Dim()
	sets := map[string][]float32{"uniform": make([]float32, n*dim), "gaussian": make([]float32, n*dim), "inverted": make([]float32, n*dim)}
	for i := range sets["uniform"] {
		sets["uniform"][i] = float32(2*rng.Float64() - 1)
		sets["gaussian"][i] = float32(math.Max(-1, math.Min(1, rng.NormFloat64())))
		sets["inverted"][i] = -testX[i]
	}
	labelled := map[string]*mnist.Dataset{}
	for _, set := range data.OOD {
		if _, dup := sets[set.Name]; dup {
			return fmt.Errorf("eval: two out-of-distribution sets are named %q", set.Name)
		}
		sets[set.Name] = set.Test.Floats(0, set.Test.N)
		labelled[set.Name] = set.Test
		if rep.oodClasses == nil {
			rep.oodClasses = map[string][]string{}
		}
		rep.oodClasses[set.Name] = set.Test.ClassNames()
		rep.oodSets = append(rep.oodSets, oodSet{set.Name, set.Name})
	}
	rep.oodSets = append(rep.oodSets, oodSet{"uniform", "uniform noise"}, oodSet{"gaussian", "Gaussian noise"}, oodSet{"inverted", "inverted " + data.Name})
	rep.OODAUROC = map[string]map[string]float64{}
	rep.OODScoreAUROC = map[string]float64{}
	for i, set := range rep.oodSets {
		o.report("out-of-distribution", i, len(rep.oodSets))
		x := sets[set.key]
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
		if d, ok := labelled[set.key]; ok {
			per, err := perClassAUROC(test.logpx, s.logpx, d.Labels, len(d.ClassNames()))
			if err != nil {
				return fmt.Errorf("eval: %s: %w", set.key, err)
			}
			if per != nil {
				if rep.OODPerClass == nil {
					rep.OODPerClass = map[string][]float64{}
				}
				rep.OODPerClass[set.key] = per
			}
		}
	}
	return nil
}

// perClassAUROC is the AUROC of pos against the negatives of each class c
// (labels[i] == c) on its own; nil when a class has no images (a cut-down
// OOD set), as no figure is then defined for it.
func perClassAUROC(pos, neg []float64, labels []uint8, classes int) ([]float64, error) {
	byClass := make([][]float64, classes)
	for i, l := range labels {
		if int(l) >= len(byClass) {
			return nil, fmt.Errorf("label %d of image %d: want 0-%d", l, i, classes-1)
		}
		byClass[l] = append(byClass[l], neg[i])
	}
	out := make([]float64, classes)
	for c, v := range byClass {
		if len(v) == 0 {
			return nil, nil
		}
		a, err := AUROC(pos, v)
		if err != nil {
			return nil, fmt.Errorf("class %d: %w", c, err)
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

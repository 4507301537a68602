package eval

import (
	"context"

	"github.com/ebm-project/ebm/nn"
)

// eceBins is the number of equal-width confidence bins of the ECE.
const eceBins = 15

// classify fills accuracy, NLL, ECE and the reliability bins of p(y|x) on
// the test set, and returns the test set's scores for the OOD comparisons.
func classify(ctx context.Context, m *nn.Net, data Data, testX []float32, rep *Report) (*scores, error) {
	test, classes := data.Test, m.Out()
	sc, err := scoreSet(ctx, m, testX, test.N)
	if err != nil {
		return nil, err
	}
	conf := make([]float64, test.N)
	correct := make([]bool, test.N)
	for i := range test.N {
		y := int(test.Labels[i])
		rep.NLL -= sc.logProb[i*classes+y]
		conf[i] = sc.maxSoftmax[i]
		correct[i] = sc.pred[i] == y
		if correct[i] {
			rep.Accuracy++
		}
	}
	rep.Accuracy /= float64(test.N)
	rep.NLL /= float64(test.N)
	if rep.ECE, rep.Reliability, err = ECE(conf, correct, eceBins); err != nil {
		return nil, err
	}
	rep.Energies = append(rep.Energies, EnergySet{data.Name + " test", negate(sc.logpx)})
	return sc, nil
}

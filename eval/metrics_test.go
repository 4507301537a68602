package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAUROCOnKnownCases(t *testing.T) {
	auc, err := AUROC([]float64{3, 4, 5}, []float64{0, 1, 2})
	require.NoError(t, err)
	require.Equal(t, 1.0, auc, "separable")
	auc, _ = AUROC([]float64{0, 1, 2}, []float64{3, 4, 5})
	require.Equal(t, 0.0, auc, "separable, reversed")
	auc, _ = AUROC([]float64{1, 1, 1}, []float64{1, 1})
	require.Equal(t, 0.5, auc, "identical scores")
	// Pairs won by the positive: 1 beats 0 and ties 1 (1.5), 2 beats 0 and 1 (2), 3 beats all (3): 6.5 of 9.
	auc, _ = AUROC([]float64{1, 2, 3}, []float64{0, 1, 2.5})
	require.InDelta(t, 6.5/9, auc, 1e-12)
	_, err = AUROC(nil, []float64{1})
	require.Error(t, err)
	_, err = AUROC([]float64{math.NaN()}, []float64{1})
	require.Error(t, err)
}

// Per-class AUROC takes one class of negatives at a time: class 0 sits
// below every positive (1), class 1 among them, class 2 above them (0).
func TestPerClassAUROC(t *testing.T) {
	pos := []float64{1, 2, 3}
	neg := []float64{0, 2, 9, -1, 5, 9}
	labels := []uint8{0, 1, 2, 0, 1, 2}
	for c := 3; c < 10; c++ { // the other classes far below
		neg, labels = append(neg, -10), append(labels, uint8(c))
	}
	got, err := perClassAUROC(pos, neg, labels, 10)
	require.NoError(t, err)
	require.Equal(t, 1.0, got[0])
	// Against 2 the positives 1, 2, 3 lose, tie (half a pair), win; against 5 all lose: 1.5 of 6.
	require.InDelta(t, 1.5/6, got[1], 1e-12)
	require.Equal(t, 0.0, got[2])
	for c := 3; c < 10; c++ {
		require.Equal(t, 1.0, got[c])
	}
	got, err = perClassAUROC(pos, neg[:6], labels[:6], 10)
	require.NoError(t, err)
	require.Nil(t, got, "classes 3-9 have no images")
	_, err = perClassAUROC(pos, []float64{0}, []uint8{10}, 10)
	require.ErrorContains(t, err, "label 10")
}

// A classifier whose confidence is its probability of being right has ECE
// near 0; one that says 0.9 and is right 60% of the time has ECE 0.3.
func TestECE(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := 200000
	conf := make([]float64, n)
	correct := make([]bool, n)
	for i := range n {
		conf[i] = 0.1 + 0.9*rng.Float64()
		correct[i] = rng.Float64() < conf[i]
	}
	ece, bins, err := ECE(conf, correct, 15)
	require.NoError(t, err)
	require.Less(t, ece, 0.005)
	require.Len(t, bins, 15)

	for i := range n {
		conf[i] = 0.9
		correct[i] = i%5 < 3
	}
	ece, bins, err = ECE(conf, correct, 15)
	require.NoError(t, err)
	require.InDelta(t, 0.3, ece, 1e-9)
	require.Equal(t, n, bins[13].Count) // 0.9 falls in [13/15, 14/15)
	_, _, err = ECE([]float64{1.5}, []bool{true}, 15)
	require.Error(t, err)
}

func gaussian(mean, cov []float64) Gaussian { return Gaussian{Dim: len(mean), Mean: mean, Cov: cov} }

func TestFIDAgainstClosedForms(t *testing.T) {
	// FID(x, x) = 0 for features fitted from data.
	rng := rand.New(rand.NewPCG(2, 2))
	x := make([]float32, 500*6)
	for i := range x {
		x[i] = float32(rng.NormFloat64()) + float32(i%6)
	}
	g, err := Fit(x, 6)
	require.NoError(t, err)
	f, err := FID(g, g)
	require.NoError(t, err)
	require.InDelta(t, 0, f, 1e-9)

	// Diagonal covariances: |mu1-mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
	a := gaussian([]float64{0, 1, 2}, []float64{1, 0, 0, 0, 4, 0, 0, 0, 9})
	b := gaussian([]float64{1, 1, 0}, []float64{4, 0, 0, 0, 1, 0, 0, 0, 1})
	want := 1.0 + 0 + 4 + (1 + 4 - 2*2) + (4 + 1 - 2*2) + (9 + 1 - 2*3)
	f, err = FID(a, b)
	require.NoError(t, err)
	require.InDelta(t, want, f, 1e-9)

	// Non-commuting 2x2 covariances: for PSD 2x2 products,
	// tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
	s1 := []float64{2, 0.5, 0.5, 1}
	s2 := []float64{1, -0.3, -0.3, 3}
	trProd := s1[0]*s2[0] + s1[1]*s2[2] + s1[2]*s2[1] + s1[3]*s2[3]
	det1, det2 := s1[0]*s1[3]-s1[1]*s1[2], s2[0]*s2[3]-s2[1]*s2[2]
	trRoot := math.Sqrt(trProd + 2*math.Sqrt(det1*det2))
	want = 0.25 + (2 + 1 + 1 + 3) - 2*trRoot
	f, err = FID(gaussian([]float64{0.5, 0}, s1), gaussian([]float64{0, 0}, s2))
	require.NoError(t, err)
	require.InDelta(t, want, f, 1e-9)

	_, err = FID(a, gaussian([]float64{0}, []float64{1}))
	require.Error(t, err)
	_, err = Fit(make([]float32, 3), 3)
	require.Error(t, err, "one vector has no covariance")
}

func TestCoverage(t *testing.T) {
	all := make([]int, 1000)
	for i := range all {
		all[i] = i % 10
	}
	require.InDelta(t, 1, Coverage(all, 10), 1e-12)
	require.InDelta(t, 0, Coverage(make([]int, 50), 10), 1e-12)
	half := []int{0, 1, 0, 1}
	require.InDelta(t, math.Log(2)/math.Log(10), Coverage(half, 10), 1e-12)
	require.Equal(t, []int{2, 2, 0}, Counts(half, 3))
	require.Equal(t, []int{1, 0}, Counts([]int{0, -1, 2}, 2), "labels outside the classes are not counted")
}

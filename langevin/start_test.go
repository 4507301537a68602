package langevin

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Cholesky's factor multiplies back to the matrix; a matrix that is not
// positive definite has none.
func TestCholeskyFactorsBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 6
	b := make([]float64, d*d)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	a := make([]float64, d*d) // B B^T + I
	for i := range d {
		for j := range d {
			for k := range d {
				a[i*d+j] += b[i*d+k] * b[j*d+k]
			}
		}
		a[i*d+i]++
	}
	l := append([]float64(nil), a...)
	require.NoError(t, cholesky(l, d))
	for i := range d {
		for j := range d {
			var s float64
			for k := 0; k <= min(i, j); k++ {
				s += l[i*d+k] * l[j*d+k]
			}
			require.InDelta(t, a[i*d+j], s, 1e-9)
		}
	}
	require.ErrorContains(t, cholesky([]float64{1, 2, 2, 1}, 2), "not positive definite")
}

// Fit is the class's mean and population covariance plus ridge*I: the
// factor it keeps multiplies back to them; draws from Fill have that mean
// and covariance.
func TestClassGaussiansFitEachClass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const d, n, ridge = 3, 400, 1e-3
	g, err := NewClassGaussians(d, 2, ridge)
	require.NoError(t, err)
	mus := [][]float64{{0.2, -0.1, 0}, {-0.3, 0.3, 0.1}}
	for c, mu := range mus {
		x := make([]float32, n*d)
		for i := range n {
			z0, z1 := rng.NormFloat64(), rng.NormFloat64()
			x[i*d+0] = float32(mu[0] + 0.10*z0)
			x[i*d+1] = float32(mu[1] + 0.05*z0 + 0.05*z1)
			x[i*d+2] = float32(mu[2]) // a pixel that never moves
		}
		require.NoError(t, g.Fit(c, x))
		mean, cov := moments3(x, d)
		for j := range d {
			require.InDelta(t, mean[j], float64(g.mean[c][j]), 1e-6)
		}
		l := g.chol[c]
		for i := range d {
			for j := range d {
				var s float64
				for k := 0; k <= min(i, j); k++ {
					s += float64(l[i*d+k]) * float64(l[j*d+k])
				}
				want := cov[i*d+j]
				if i == j {
					want += ridge
				}
				require.InDelta(t, want, s, 1e-6, "Sigma + ridge I at (%d, %d)", i, j)
			}
		}
	}
	require.True(t, g.Fitted())

	// Draws: the fitted mean and covariance again, within sampling error.
	const draws = 40000
	x := make([]float32, draws*d)
	for i := range draws {
		g.Fill(x[i*d:(i+1)*d], 1, rng)
	}
	mean, cov := moments3(x, d)
	for j := range d {
		require.InDelta(t, float64(g.mean[1][j]), mean[j], 0.003)
	}
	require.InDelta(t, 0.05*0.05*2+ridge, cov[1*d+1], 0.0008)
	require.InDelta(t, ridge, cov[2*d+2], 0.0001, "the fixed pixel spreads by the ridge alone")
}

// FillGiven is the mixture's conditional law given the first pixels: the
// class with probability n_c N(given; mu_c, S_c) / sum over classes, the
// rest Gaussian with mean mu_r + S_rg S_gg^-1 (given - mu_g) and covariance
// S_rr - S_rg S_gg^-1 S_gr (S the fitted covariance plus the ridge), the
// given pixels untouched. Given nothing it is the mixture, weighted by
// the images fitted; given everything it draws only the class.
func TestFillGivenIsTheMixturesConditional(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const d, ridge = 3, 1e-3
	counts := []int{400, 200}
	mus := [][]float64{{0.2, 0.1, -0.2}, {0.0, -0.1, 0.1}}
	signs := []float64{1, -1}
	g, err := NewClassGaussians(d, 2, ridge)
	require.NoError(t, err)
	var sigmas [][]float64
	for c, mu := range mus {
		x := make([]float32, counts[c]*d)
		for i := range counts[c] {
			z0, z1, z2 := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
			x[i*d+0] = float32(mu[0] + 0.1*z0)
			x[i*d+1] = float32(mu[1] + signs[c]*0.06*z0 + 0.05*z1)
			x[i*d+2] = float32(mu[2] + 0.03*z1 + 0.02*z2)
		}
		require.NoError(t, g.Fit(c, x))
		_, cov := moments3(x, d)
		for j := range d {
			cov[j*d+j] += ridge
		}
		sigmas = append(sigmas, cov)
	}

	// Given pixel 0 = v: Bayes' rule over the two classes, then the
	// Gaussian conditional of pixels 1 and 2 for each.
	const v = 0.1
	var post [2]float64
	for c := range 2 {
		s, m := sigmas[c][0], float64(g.mean[c][0])
		post[c] = float64(counts[c]) * math.Exp(-(v-m)*(v-m)/(2*s)) / math.Sqrt(s)
	}
	post[0], post[1] = post[0]/(post[0]+post[1]), post[1]/(post[0]+post[1])
	require.InDelta(t, 0.5, post[0], 0.3, "a given value both classes could have made")

	const draws = 40000
	var n [2]int
	var sum, sq [2][2]float64 // per class: pixels 1, 2
	x := make([]float32, d)
	for range draws {
		x[0] = v
		c := g.FillGiven(x, 1, rng)
		require.Equal(t, float32(v), x[0], "the given pixel stays")
		n[c]++
		for j := 1; j < d; j++ {
			sum[c][j-1] += float64(x[j])
			sq[c][j-1] += float64(x[j]) * float64(x[j])
		}
	}
	require.InDelta(t, post[0], float64(n[0])/draws, 0.01, "p(class 0 | given)")
	for c := range 2 {
		s := sigmas[c]
		for j := 1; j < d; j++ {
			wantMean := float64(g.mean[c][j]) + s[j*d]/s[0]*(v-float64(g.mean[c][0]))
			wantVar := s[j*d+j] - s[j*d]*s[j*d]/s[0]
			mean := sum[c][j-1] / float64(n[c])
			require.InDelta(t, wantMean, mean, 0.004, "class %d pixel %d: conditional mean", c, j)
			require.InDelta(t, wantVar, sq[c][j-1]/float64(n[c])-mean*mean, wantVar*0.06, "class %d pixel %d: conditional variance", c, j)
		}
	}

	n = [2]int{}
	for range draws {
		n[g.FillGiven(x, 0, rng)]++
	}
	require.InDelta(t, 2.0/3, float64(n[0])/draws, 0.01, "given nothing, the classes by their images")
	y := []float32{0.3, -0.2, 0.5}
	g.FillGiven(y, d, rng)
	require.Equal(t, []float32{0.3, -0.2, 0.5}, y, "given everything, nothing is drawn")
}

func moments3(x []float32, d int) (mean, cov []float64) {
	n := len(x) / d
	mean, cov = make([]float64, d), make([]float64, d*d)
	for i := range n {
		for j := range d {
			mean[j] += float64(x[i*d+j]) / float64(n)
		}
	}
	for i := range n {
		for j := range d {
			for k := range d {
				cov[j*d+k] += (float64(x[i*d+j]) - mean[j]) * (float64(x[i*d+k]) - mean[k]) / float64(n)
			}
		}
	}
	return mean, cov
}

// Draws are images: clamped to [-1, 1].
func TestClassGaussianDrawsAreClamped(t *testing.T) {
	g, err := NewClassGaussians(2, 1, 1)
	require.NoError(t, err)
	require.NoError(t, g.Fit(0, []float32{0.9, -0.9, 1, -1}))
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 2)
	for range 1000 {
		g.Fill(x, 0, rng)
		for _, v := range x {
			require.LessOrEqual(t, math.Abs(float64(v)), 1.0)
		}
	}
}

// Bad sizes, classes, images and ridges are refused, before anything is
// allocated for them.
func TestClassGaussiansRefuseWhatTheyCannotHold(t *testing.T) {
	_, err := NewClassGaussians(3072, 10, 1e-4)
	require.ErrorContains(t, err, "more than")
	_, err = NewClassGaussians(1<<40, 1<<40, 1e-4)
	require.ErrorContains(t, err, "more than")
	_, err = NewClassGaussians(0, 10, 1e-4)
	require.ErrorContains(t, err, "positive")
	_, err = NewClassGaussians(4, 2, 0)
	require.ErrorContains(t, err, "ridge")
	g, err := NewClassGaussians(4, 2, 1e-4)
	require.NoError(t, err)
	require.ErrorContains(t, g.Fit(2, make([]float32, 8)), "class 2 of 2")
	require.ErrorContains(t, g.Fit(0, make([]float32, 7)), "not a positive number of images")
	require.ErrorContains(t, g.Fit(0, nil), "not a positive number of images")
	require.False(t, g.Fitted())
}

// classValue is a start that fills a slot with its class: it shows which
// law each slot came from.
type classValue struct{}

func (classValue) Fill(x []float32, c int, _ *rand.Rand) {
	for i := range x {
		x[i] = float32(c)
	}
}

// A buffer with a start fills each slot from its label's law, restarts
// from it, and Restart starts them all again; without one it is the
// uniform buffer, draw for draw.
func TestBufferStartsEachSlotFromItsLabelsLaw(t *testing.T) {
	b, err := NewBufferFrom(12, 3, 4, 1, classValue{}, rand.New(rand.NewPCG(7, 7)))
	require.NoError(t, err)
	for k, c := range b.Labels {
		require.Equal(t, []float32{float32(c), float32(c), float32(c)}, b.Data[k*3:(k+1)*3])
	}
	x, y := make([]float32, 5*3), make([]int, 5)
	b.Draw(x, y, rand.New(rand.NewPCG(8, 8))) // Reinit 1: every draw restarts
	for i, c := range y {
		require.Equal(t, []float32{float32(c), float32(c), float32(c)}, x[i*3:(i+1)*3])
	}
	clear(b.Data)
	b.ChainSteps[3] = 9
	b.Restart(rand.New(rand.NewPCG(9, 9)))
	require.Equal(t, float32(3), b.Data[3*3])
	require.Zero(t, b.ChainSteps[3])

	u1, err := NewBuffer(10, 4, 3, 0.5, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	u2, err := NewBufferFrom(10, 4, 3, 0.5, Uniform{}, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	require.Equal(t, u1.Data, u2.Data)
	x1, x2 := make([]float32, 8), make([]float32, 8)
	u1.Draw(x1, nil, rand.New(rand.NewPCG(2, 2)))
	u2.Draw(x2, nil, rand.New(rand.NewPCG(2, 2)))
	require.Equal(t, x1, x2)
}

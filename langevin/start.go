package langevin

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/kernels"
)

// Start is the law of a chain's first point.
type Start interface {
	// Fill overwrites x, one sample, with a draw for class (the slot's
	// label; every class is drawn equally often over a buffer). Not safe
	// for concurrent use.
	Fill(x []float32, class int, rng *rand.Rand)
}

// ConditionalStart is a start law that can also start a chain whose first
// known pixels are given (inpainting): it draws the others from the law
// conditioned on them and returns the class it drew.
type ConditionalStart interface {
	Start
	FillGiven(x []float32, known int, rng *rand.Rand) int
}

// FillChains fills the chains in x (len(x)/dim of them) from start: chain
// i from its label y[i], or, with y nil, from a class drawn from rng among
// classes (before its draw, chain by chain).
func FillChains(start Start, x []float32, dim int, y []int, classes int, rng *rand.Rand) {
	for i := range len(x) / dim {
		var c int
		if y != nil {
			c = y[i]
		} else {
			c = rng.IntN(classes)
		}
		start.Fill(x[i*dim:(i+1)*dim], c, rng)
	}
}

// Uniform starts chains from uniform noise in [-1, 1]: every pixel
// independent, no knowledge of the data.
type Uniform struct{}

// Fill draws each value uniformly in [-1, 1].
func (Uniform) Fill(x []float32, _ int, rng *rand.Rand) {
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
}

// MaxGaussianValues bounds classes x dim x dim, the values of the factors
// ClassGaussians keeps (256 MiB): MNIST's 10 x 784^2 is 6.1 million.
const MaxGaussianValues = 1 << 26

// ClassGaussians is JEM++'s informative start: one Gaussian per class,
// fitted to that class's training images,
//
//	x ~ N(mu_c, Sigma_c + ridge*I), clamped to [-1, 1]
//
// with mu_c and Sigma_c the class's mean and (population) covariance. A
// chain starts near the images of its class, blurred, instead of from noise.
type ClassGaussians struct {
	dim, classes int
	ridge        float64
	mean         [][]float32 // per class
	chol         [][]float32 // per class, the lower Cholesky factor of Sigma_c + ridge*I, row-major
	count        []int       // per class, the images fitted: the mixture's weights
	z            []float32   // Fill's scratch
	given        []float64   // FillGiven's scratch: each class's z of the given pixels
	logp         []float64   // FillGiven's scratch: each class's log posterior
}

// NewClassGaussians makes room for classes Gaussians of dimension dim; Fit
// fits each. Sizes past MaxGaussianValues are refused.
func NewClassGaussians(dim, classes int, ridge float64) (*ClassGaussians, error) {
	if dim <= 0 || classes <= 0 {
		return nil, fmt.Errorf("langevin: class Gaussians of dimension %d for %d classes: both must be positive", dim, classes)
	}
	if dim > MaxGaussianValues/dim/classes {
		return nil, fmt.Errorf("langevin: class Gaussians of dimension %d for %d classes: %d x %d^2 values is more than %d", dim, classes, classes, dim, MaxGaussianValues)
	}
	if !(ridge > 0) || math.IsInf(ridge, 0) {
		return nil, fmt.Errorf("langevin: class Gaussians: ridge = %v: must be a finite number > 0", ridge)
	}
	g := &ClassGaussians{dim: dim, classes: classes, ridge: ridge, z: make([]float32, dim),
		count: make([]int, classes), given: make([]float64, classes*dim), logp: make([]float64, classes)}
	for range classes {
		g.mean = append(g.mean, nil)
		g.chol = append(g.chol, nil)
	}
	return g, nil
}

// Fit fits class c's Gaussian to the n = len(x)/dim images in x.
func (g *ClassGaussians) Fit(c int, x []float32) error {
	d := g.dim
	if c < 0 || c >= g.classes {
		return fmt.Errorf("langevin: class %d of %d", c, g.classes)
	}
	if len(x) == 0 || len(x)%d != 0 {
		return fmt.Errorf("langevin: class %d: %d values is not a positive number of images of %d", c, len(x), d)
	}
	n := len(x) / d
	mean := make([]float64, d)
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	centred := make([]float64, len(x))
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			centred[i*d+j] = float64(v) - mean[j]
		}
	}
	cov := make([]float64, d*d)
	if err := kernels.Dgemm(true, false, d, d, n, 1/float64(n), centred, d, centred, d, 0, cov, d); err != nil {
		return fmt.Errorf("langevin: class %d covariance: %w", c, err)
	}
	for j := range d {
		cov[j*d+j] += g.ridge
	}
	if err := cholesky(cov, d); err != nil {
		return fmt.Errorf("langevin: class %d: %w", c, err)
	}
	g.mean[c] = make([]float32, d)
	g.chol[c] = make([]float32, d*d)
	g.count[c] = n
	for j := range d {
		g.mean[c][j] = float32(mean[j])
		for k := 0; k <= j; k++ {
			g.chol[c][j*d+k] = float32(cov[j*d+k])
		}
	}
	return nil
}

// cholesky overwrites the lower triangle of the symmetric positive
// definite d x d matrix a with L, a = L L^T (the upper triangle is left
// as it was).
func cholesky(a []float64, d int) error {
	for j := range d {
		s := a[j*d+j]
		for k := range j {
			s -= a[j*d+k] * a[j*d+k]
		}
		if !(s > 0) {
			return fmt.Errorf("covariance is not positive definite at row %d", j)
		}
		ljj := math.Sqrt(s)
		a[j*d+j] = ljj
		for i := j + 1; i < d; i++ {
			t := a[i*d+j]
			ri, rj := a[i*d:i*d+j], a[j*d:j*d+j]
			for k, v := range rj {
				t -= ri[k] * v
			}
			a[i*d+j] = t / ljj
		}
	}
	return nil
}

// Fill draws x = clamp(mu_c + L_c z, -1, 1), z ~ N(0, I) from rng. A class
// that was not fitted, or out of range, is a programming error.
func (g *ClassGaussians) Fill(x []float32, c int, rng *rand.Rand) {
	d := g.dim
	mean, l := g.mean[c], g.chol[c]
	for j := range g.z {
		g.z[j] = float32(rng.NormFloat64())
	}
	for j := range d {
		row := l[j*d : j*d+j+1]
		s := mean[j]
		for k, v := range row {
			s += v * g.z[k]
		}
		x[j] = min(max(s, -1), 1)
	}
}

// FillGiven keeps x[:known], the pixels given, and draws the rest from the
// mixture conditioned on them (inpainting's start): a class c with
// probability
//
//	p(c | given) ∝ n_c N(given; mu_c, Sigma_c)   (n_c the images fitted)
//
// then the rest from N(mu_c + S_rg S_gg^-1 (given - mu_c), S_rr - S_rg S_gg^-1 S_gr),
// clamped, S = Sigma_c + ridge*I. It returns c. Because the given pixels come
// first, the Cholesky factor holds that law already: x = mu + L z with the
// given block of z solved from the given pixels, z_g = L_gg^-1 (given - mu_g),
// and the rest of z drawn; and |z_g|^2/2 + log det L_gg is the given
// pixels' negative log density. Not safe for concurrent use.
func (g *ClassGaussians) FillGiven(x []float32, known int, rng *rand.Rand) int {
	d := g.dim
	known = min(max(known, 0), d)
	total := 0
	for _, n := range g.count {
		total += n
	}
	best := math.Inf(-1)
	for c := range g.classes {
		mean, l, z := g.mean[c], g.chol[c], g.given[c*d:(c+1)*d]
		lp := math.Log(float64(g.count[c]) / float64(total))
		for j := range known {
			s := float64(x[j]) - float64(mean[j])
			for k, v := range l[j*d : j*d+j] {
				s -= float64(v) * z[k]
			}
			ljj := float64(l[j*d+j])
			z[j] = s / ljj
			lp -= z[j]*z[j]/2 + math.Log(ljj)
		}
		g.logp[c] = lp
		best = max(best, lp)
	}
	var sum float64
	for c, lp := range g.logp {
		g.logp[c] = math.Exp(lp - best)
		sum += g.logp[c]
	}
	c, u := 0, rng.Float64()*sum
	for c < g.classes-1 && u >= g.logp[c] {
		u -= g.logp[c]
		c++
	}
	mean, l, z := g.mean[c], g.chol[c], g.given[c*d:(c+1)*d]
	for j := known; j < d; j++ {
		z[j] = rng.NormFloat64()
	}
	for j := known; j < d; j++ {
		s := float64(mean[j])
		for k, v := range l[j*d : j*d+j+1] {
			s += float64(v) * z[k]
		}
		x[j] = float32(min(max(s, -1), 1))
	}
	return c
}

// Fitted reports whether every class has been fitted.
func (g *ClassGaussians) Fitted() bool {
	for _, m := range g.mean {
		if m == nil {
			return false
		}
	}
	return true
}

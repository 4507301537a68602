package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchShapes are m x k x n with the form nn uses them in: the MLP at batch
// 64 and 256 (forward NN, input gradient NT, weight gradient TN) and large
// squares.
var benchShapes = []struct {
	form    string
	m, k, n int
}{
	{"NN", 64, 784, 512}, {"NN", 64, 512, 512}, {"NN", 64, 512, 10},
	{"NN", 256, 784, 512}, {"NN", 256, 512, 512}, {"NN", 256, 512, 10},
	{"NT", 64, 512, 784}, {"NT", 64, 512, 512}, {"NT", 64, 10, 512},
	{"NT", 256, 512, 784}, {"NT", 256, 512, 512},
	{"TN", 784, 64, 512}, {"TN", 512, 64, 512}, {"TN", 512, 64, 10},
	{"TN", 784, 256, 512}, {"TN", 512, 256, 512},
	{"NN", 1024, 1024, 1024}, {"NN", 2048, 2048, 2048},
}

func benchGemm(b *testing.B, im *impl, workers int, form string, m, k, n int) {
	tA, tB := form[0] == 'T', form[1] == 'T'
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	a, bb, c := fill(m*k), fill(k*n), fill(m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	prev := active.Swap(im)
	defer active.Store(prev)
	b.ResetTimer()
	for b.Loop() {
		if workers > 1 {
			_ = SgemmParallel(workers, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
		} else {
			gemmWith(im, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
		}
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm is single-threaded: what a Langevin worker gets.
func BenchmarkSgemm(b *testing.B) { benchAll(b, 1) }

// BenchmarkSgemmParallel splits each product across GOMAXPROCS goroutines.
func BenchmarkSgemmParallel(b *testing.B) { benchAll(b, runtime.GOMAXPROCS(0)) }

func benchAll(b *testing.B, workers int) {
	for _, im := range registry {
		b.Run(im.name, func(b *testing.B) {
			if why := im.missing(); why != "" {
				b.Skip(why)
			}
			for _, s := range benchShapes {
				b.Run(fmt.Sprintf("%s/%dx%dx%d", s.form, s.m, s.k, s.n), func(b *testing.B) {
					benchGemm(b, im, workers, s.form, s.m, s.k, s.n)
				})
			}
		})
	}
}

func BenchmarkElu(b *testing.B) {
	for _, im := range registry {
		b.Run(im.name, func(b *testing.B) {
			if why := im.missing(); why != "" {
				b.Skip(why)
			}
			for _, dir := range []string{"forward", "backward"} {
				b.Run(fmt.Sprintf("%s/64x512", dir), func(b *testing.B) {
					n := 64 * 512
					x := eluInputs(rand.New(rand.NewPCG(1, 1)), n)
					y := make([]float32, n)
					dy := make([]float32, n)
					b.SetBytes(int64(8 * n))
					for b.Loop() {
						if dir == "forward" {
							im.eluFwd(y, x, 1)
						} else {
							im.eluBwd(y, dy, x, 1)
						}
					}
				})
			}
		})
	}
}

// BenchmarkNormal: normals per second of each implementation, and of the
// scalar generator the Langevin step used before (math/rand/v2's
// NormFloat64 on a PCG), for comparison.
func BenchmarkNormal(b *testing.B) {
	const n = 32 * 784 // one shard of chains
	x := make([]float32, n)
	for _, im := range registry {
		b.Run(im.name, func(b *testing.B) {
			if why := im.missing(); why != "" {
				b.Skip(why)
			}
			for i := range b.N {
				im.normal(x, 1, 2, uint64(i))
			}
			b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds()/1e6, "Mnormals/s")
		})
	}
	b.Run("math-rand-v2", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range b.N {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
		}
		b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds()/1e6, "Mnormals/s")
	})
}

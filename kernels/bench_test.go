package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchShape is a product m x k x n in a form: NN, NT, TN or TT.
type benchShape struct {
	form    string
	m, k, n int
}

// benchShapes are m x k x n with the form nn uses them in: the MLP at batch
// 64 and 256 (forward NN, input gradient NT, weight gradient TN) and large
// squares.
var benchShapes = []benchShape{
	{"NN", 64, 784, 512}, {"NN", 64, 512, 512}, {"NN", 64, 512, 10},
	{"NN", 256, 784, 512}, {"NN", 256, 512, 512}, {"NN", 256, 512, 10},
	{"NT", 64, 512, 784}, {"NT", 64, 512, 512}, {"NT", 64, 10, 512},
	{"NT", 256, 512, 784}, {"NT", 256, 512, 512},
	{"TN", 784, 64, 512}, {"TN", 512, 64, 512}, {"TN", 512, 64, 10},
	{"TN", 784, 256, 512}, {"TN", 512, 256, 512},
	{"NN", 1024, 1024, 1024}, {"NN", 2048, 2048, 2048},
}

// convShapes are the products of issue 16's `--preset conv` (its three
// convolutions, then the 10 outputs; today's preset adds a hidden layer of
// 256) as nn runs them, m x k x n: for a Langevin shard of 32 chains a
// chunk of images at a time (20, 2 and 7 images for the three
// convolutions), the forward pass (NN: patches times weights) and the
// input gradient (NN: output gradient times the transposed weights); for
// the training step's 128 images the weight gradients (TN: patches^T times
// the output gradient).
var convShapes = []benchShape{
	{"NN", 3920, 16, 32}, {"NN", 98, 512, 64}, {"NN", 112, 576, 128}, {"NN", 32, 2048, 10},
	{"NN", 112, 128, 576}, {"NN", 98, 64, 512}, {"NN", 3920, 32, 16},
	{"TN", 16, 25088, 32}, {"TN", 512, 6272, 64}, {"TN", 576, 2048, 128},
}

// dgemmShapes: the squares float64 users multiply, the MLP's shapes at
// batch 64 in each form.
var dgemmShapes = []benchShape{
	{"NN", 256, 256, 256}, {"NN", 1024, 1024, 1024}, {"NN", 2048, 2048, 2048},
	{"NN", 64, 784, 512}, {"NN", 64, 512, 512}, {"NT", 64, 512, 784}, {"TN", 784, 64, 512},
}

// benchOperands returns A (m x k), B (k x n) and C (m x n) of normal values.
func benchOperands[E element](m, k, n int) (a, b, c []E) {
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []E {
		s := make([]E, n)
		for i := range s {
			s[i] = E(rng.NormFloat64())
		}
		return s
	}
	return fill(m * k), fill(k * n), fill(m * n)
}

func benchGemm[E element](b *testing.B, im *gemmImpl[E], workers int, form string, m, k, n int) {
	tA, tB := form[0] == 'T', form[1] == 'T'
	a, bb, c := benchOperands[E](m, k, n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	b.ResetTimer()
	for b.Loop() {
		if workers > 1 {
			_ = gemmParallel(im, "gemm", workers, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
		} else {
			gemmWith(im, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
		}
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm is single-threaded: what a Langevin worker gets.
func BenchmarkSgemm(b *testing.B) {
	benchAll(b, benchShapes, func(im *impl, b *testing.B, form string, m, k, n int) { benchGemm(b, im.sgemm, 1, form, m, k, n) })
}

// BenchmarkSgemmConv is single-threaded, on the conv preset's shapes.
func BenchmarkSgemmConv(b *testing.B) {
	benchAll(b, convShapes, func(im *impl, b *testing.B, form string, m, k, n int) { benchGemm(b, im.sgemm, 1, form, m, k, n) })
}

// BenchmarkSgemmParallel splits each product across GOMAXPROCS goroutines.
func BenchmarkSgemmParallel(b *testing.B) {
	benchAll(b, benchShapes, func(im *impl, b *testing.B, form string, m, k, n int) {
		benchGemm(b, im.sgemm, runtime.GOMAXPROCS(0), form, m, k, n)
	})
}

// BenchmarkDgemm and BenchmarkDgemmParallel are the same in float64.
func BenchmarkDgemm(b *testing.B) {
	benchAll(b, dgemmShapes, func(im *impl, b *testing.B, form string, m, k, n int) { benchGemm(b, im.dgemm, 1, form, m, k, n) })
}

func BenchmarkDgemmParallel(b *testing.B) {
	benchAll(b, dgemmShapes, func(im *impl, b *testing.B, form string, m, k, n int) {
		benchGemm(b, im.dgemm, runtime.GOMAXPROCS(0), form, m, k, n)
	})
}

func benchAll(b *testing.B, shapes []benchShape, run func(im *impl, b *testing.B, form string, m, k, n int)) {
	for _, im := range registry {
		b.Run(im.name, func(b *testing.B) {
			if why := im.missing(); why != "" {
				b.Skip(why)
			}
			for _, s := range shapes {
				b.Run(fmt.Sprintf("%s/%dx%dx%d", s.form, s.m, s.k, s.n), func(b *testing.B) {
					run(im, b, s.form, s.m, s.k, s.n)
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

// Add on a convolution's patch runs (128 and 192 floats), in L1.
func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{4, 128, 192} {
		dst, src := make([]float32, n), make([]float32, n)
		b.Run(fmt.Sprintf("%s/n=%d", Active(), n), func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				_ = Add(dst, src)
			}
		})
		b.Run(fmt.Sprintf("generic/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				addGeneric(dst, src)
			}
		})
	}
}

// shardShapes are the MLP's products in one Langevin shard of 32 chains, m
// x k x n: the forward pass X*W and the input gradient dY*W^T as nn runs
// it, on op(B) stored row-major.
var shardShapes = []benchShape{
	{"NN", 32, 784, 512}, {"NN", 32, 512, 512}, {"NN", 32, 512, 784},
}

// BenchmarkSgemmShard times each shard product with B read in place
// (Sgemm) and packed once beforehand (SgemmPacked), single-threaded.
func BenchmarkSgemmShard(b *testing.B) {
	benchAll(b, shardShapes, func(im *impl, b *testing.B, _ string, m, k, n int) {
		a, bb, c := benchOperands[float32](m, k, n)
		var p PackedB
		if err := p.reset(im.sgemm, false, k, n, bb, n); err != nil {
			b.Fatal(err)
		}
		if err := p.PackPart(0, 1); err != nil {
			b.Fatal(err)
		}
		for _, packed := range []bool{false, true} {
			b.Run(map[bool]string{false: "in_place", true: "packed"}[packed], func(b *testing.B) {
				for b.Loop() {
					if packed {
						gemmPacked(im.sgemm, m, 1, a, k, &p, 0, c, n)
					} else {
						gemmWith(im.sgemm, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
					}
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	})
}

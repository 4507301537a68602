package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/stretchr/testify/require"
)

// copyRows writes the m x k matrix a describes row-major: what im2col makes.
func copyRows(a Gathered, k int) []float32 {
	out := make([]float32, len(a.Rows)*k)
	for i, r := range a.Rows {
		for p := range k {
			out[i*k+p] = a.X[r+p+p/a.Run*a.Skip]
		}
	}
	return out
}

// patches describes the patch matrix of a convolution (kernel kk, stride s,
// cin channels) over images zero-padded to hp x wp: one row per output
// pixel of every image, in image, then row, then column order.
func patches(x []float32, images, hp, wp, cin, kk, s int) Gathered {
	oh, ow := (hp-kk)/s+1, (wp-kk)/s+1
	g := Gathered{X: x, Run: kk * cin, Skip: (wp - kk) * cin}
	for img := range images {
		for oy := range oh {
			for ox := range ow {
				g.Rows = append(g.Rows, img*hp*wp*cin+(oy*s*wp+ox*s)*cin)
			}
		}
	}
	return g
}

// A gathered product is the product with the gathered rows copied out, bit
// for bit when beta is 0 or 1 (the kernel reads the same values in the
// same order), and within rounding of the exact product for any other
// alpha and beta. Swept over
// convolutions whose runs split the k blocks anywhere (one-channel 4x4,
// 32-channel 4x4, 64-channel 3x3: k = 16, 512, 576), rows across every
// tile edge, columns across every panel edge, every scalar pair; C's
// guards stay intact and X unchanged. Also rows in any order and repeated.
func TestSgemmGatheredIsTheProductBitForBit(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		useImpl(t, im)
		g := im.sgemm
		rng := rand.New(rand.NewPCG(13, 14))
		type conv struct{ images, hp, wp, cin, kk, s int }
		convs := []conv{{2, 30, 30, 1, 4, 2}, {1, 16, 16, 32, 4, 2}, {1, 9, 9, 64, 3, 2}, {1, 7, 5, 3, 2, 1}}
		scalars := [][2]float32{{1, 0}, {1, 1}, {-0.7, 0}, {0.5, 1}, {-0.7, 0.3}, {0, 0.5}}
		for ci, cv := range convs {
			x := make([]float32, cv.images*cv.hp*cv.wp*cv.cin+5)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			all := patches(x, cv.images, cv.hp, cv.wp, cv.cin, cv.kk, cv.s)
			k := cv.kk * cv.kk * cv.cin
			var ms []int
			for _, m := range append(boundaries(g.mr), len(all.Rows)) {
				if m <= len(all.Rows) {
					ms = append(ms, m)
				}
			}
			for mi, m := range ms {
				for ni, n := range append(boundaries(g.nr), 3*g.nr+5, dotMaxN+1) {
					alpha, beta := scalars[(ci+mi+ni)%6][0], scalars[(ci+mi+ni)%6][1]
					a := all
					a.Rows = all.Rows[len(all.Rows)-m:]
					name := fmt.Sprintf("conv %v: %dx%dx%d", cv, m, k, n)
					B := newOperand[float32](rng, k, n, 0)
					var p PackedB
					require.NoError(t, p.Pack(false, k, n, B.data(), B.ld), name)
					C := newOperand[float32](rng, m, n, 3)
					want := append([]float32(nil), C.buf...)
					x0 := append([]float32(nil), x...)
					rows := copyRows(a, k)
					if beta != 0 && beta != 1 {
						ref, mag := refGemm(false, false, m, n, k, alpha, rows, max(1, k), B.data(), B.ld, beta, C.data(), C.ld)
						require.NoError(t, SgemmGathered(alpha, a, &p, beta, C.data(), C.ld), name)
						for i := range m * n {
							require.InDelta(t, ref[i], float64(C.data()[i/n*C.ld+i%n]), float64(2*(k+2))*epsilon[float32]()*mag[i]+1e-30, name)
						}
						C.checkGuards(t, name)
						continue
					}
					require.NoError(t, SgemmPacked(m, alpha, rows, max(1, k), &p, beta, want[C.off:len(want)-guard], C.ld), name)
					require.NoError(t, SgemmGathered(alpha, a, &p, beta, C.data(), C.ld), name)
					sameBits(t, want, C, name+": the product with the rows copied")
					C.checkGuards(t, name)
					require.Equal(t, x0, x, "%s: X was modified", name)
				}
			}
		}
		// Rows need not be patches: any starts, in any order, repeated.
		x := make([]float32, 500)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		a := Gathered{X: x, Rows: []int{0, 7, 7, 300, 1, 250, 3, 99, 5, 120, 2}, Run: 5, Skip: 3}
		const k, n = 37, 19
		B := newOperand[float32](rng, k, n, 0)
		var p PackedB
		require.NoError(t, p.Pack(false, k, n, B.data(), B.ld))
		want := make([]float32, len(a.Rows)*n)
		got := make([]float32, len(a.Rows)*n)
		require.NoError(t, SgemmPacked(len(a.Rows), 1, copyRows(a, k), k, &p, 0, want, n))
		require.NoError(t, SgemmGathered(1, a, &p, 0, got, n))
		require.Equal(t, want, got)
	})
}

func TestSgemmGatheredRejectsBadArguments(t *testing.T) {
	x := make([]float32, 100)
	c := make([]float32, 12)
	b := make([]float32, 20)
	var p PackedB
	require.NoError(t, p.Pack(false, 10, 2, b, 2)) // k = 10, n = 2
	ok := Gathered{X: x, Rows: []int{0, 1}, Run: 4, Skip: 6}
	require.NoError(t, SgemmGathered(1, ok, &p, 0, c, 2))
	require.ErrorIs(t, SgemmGathered(1, ok, nil, 0, c, 2), errNotReset)
	require.ErrorIs(t, SgemmGathered(1, ok, &PackedB{}, 0, c, 2), errNotReset)

	bad := func(f func(*Gathered)) Gathered {
		g := ok
		g.Rows = append([]int(nil), ok.Rows...)
		f(&g)
		return g
	}
	// A row of 10 values in runs of 4 with 6 between spans 10 + 2*6 = 22
	// elements: the last row that fits starts at 78.
	require.NoError(t, SgemmGathered(1, bad(func(g *Gathered) { g.Rows[1] = 78 }), &p, 0, c, 2))
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.Rows[1] = 79 }), &p, 0, c, 2), "rows[1] = 79")
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.Rows[0] = -1 }), &p, 0, c, 2), "rows[0] = -1")
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.Rows[0] = math.MaxInt }), &p, 0, c, 2), "rows[0]")
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.Run = 0 }), &p, 0, c, 2), "run = 0")
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.Skip = -1 }), &p, 0, c, 2), "skip = -1")
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.Skip = math.MaxInt / 2 }), &p, 0, c, 2), "more elements than an int")
	require.ErrorContains(t, SgemmGathered(1, ok, &p, 0, c[:3], 2), "len(c)")
	require.ErrorContains(t, SgemmGathered(1, ok, &p, 0, c, 1), "ldc")
	shared := make([]float32, 100)
	require.ErrorContains(t, SgemmGathered(1, bad(func(g *Gathered) { g.X = shared }), &p, 0, shared[50:62], 2), "C overlaps X")
	require.ErrorContains(t, SgemmGathered(1, ok, &p, 0, b, 2), "C overlaps B")
	// No rows: nothing to read or write, whatever the rest.
	require.NoError(t, SgemmGathered(1, Gathered{Run: 1}, &p, 0, nil, 2))
}

// A warm gathered product allocates nothing: a Langevin step runs one per
// convolution.
func TestSgemmGatheredWarmAllocatesNothing(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		useImpl(t, im)
		rng := rand.New(rand.NewPCG(15, 16))
		x := make([]float32, 2*16*16*32)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		a := patches(x, 2, 16, 16, 32, 4, 2)
		const k, n = 512, 64
		B := newOperand[float32](rng, k, n, 0)
		var p PackedB
		require.NoError(t, p.Pack(false, k, n, B.data(), B.ld))
		c := make([]float32, len(a.Rows)*n)
		run := func() {
			if err := SgemmGathered(1, a, &p, 1, c, n); err != nil {
				panic(err)
			}
		}
		run()
		require.Zero(t, allocs.PerRun(10, run))
	})
}

// BenchmarkSgemmGathered times a convolution's forward product, images x
// output pixels x (K*K*InC) x OutC, with the patches read in place from
// padded images (gathered) and copied out beforehand (copied, the product
// alone: im2col's time is not in it), single-threaded: the three
// convolutions of --preset conv for a Langevin shard's 32 images.
func BenchmarkSgemmGathered(b *testing.B) {
	convs := []struct {
		name                          string
		images, hp, wp, cin, kk, s, n int
	}{
		{"28x28x1-32c4s2p1", 32, 30, 30, 1, 4, 2, 32},
		{"14x14x32-64c4s2p1", 32, 16, 16, 32, 4, 2, 64},
		{"7x7x64-128c3s2p1", 32, 9, 9, 64, 3, 2, 128},
	}
	for _, im := range registry {
		b.Run(im.name, func(b *testing.B) {
			if why := im.missing(); why != "" {
				b.Skip(why)
			}
			for _, cv := range convs {
				x, _, _ := benchOperands[float32](cv.images*cv.hp*cv.wp*cv.cin, 1, 0)
				a := patches(x, cv.images, cv.hp, cv.wp, cv.cin, cv.kk, cv.s)
				m, k := len(a.Rows), cv.kk*cv.kk*cv.cin
				_, w, c := benchOperands[float32](m, k, cv.n)
				var p PackedB
				if err := p.reset(im.sgemm, false, k, cv.n, w, cv.n); err != nil {
					b.Fatal(err)
				}
				if err := p.PackPart(0, 1); err != nil {
					b.Fatal(err)
				}
				rows := copyRows(a, k)
				for _, form := range []string{"copied", "gathered"} {
					b.Run(cv.name+"/"+form, func(b *testing.B) {
						for b.Loop() {
							if form == "copied" {
								packedProduct(im.sgemm, m, 1, rows, k, &p, 1, c, cv.n)
							} else {
								gemmGathered(im.sgemm, 1, a, &p, 1, c, cv.n)
							}
						}
						b.ReportMetric(2*float64(m*k*cv.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		})
	}
}

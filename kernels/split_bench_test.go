package kernels

import (
	"sync"
	"testing"
)

// mlpWidths are the default network's layer widths, input to output.
var mlpWidths = []int{784, 512, 512, 512, 10}

// splitLayer is one layer's weights packed for two workers that share a
// Langevin step's 64 chains: whole (W for the forward pass, W^T for the
// input gradient) for a split by rows, and as two column halves each for
// a split by columns.
type splitLayer struct {
	in, out     int
	fwd, bwd    PackedB
	fwdHalf     [2]PackedB
	bwdHalf     [2]PackedB
	outAt, inAt [2]int // first column of each half: outputs, inputs
}

// half is the first and end column of part t of 2 of n columns, cut on a
// 16-column boundary (a panel of every x86 kernel).
func half(n, t int) (int, int) {
	cut := min(n, (n+31)/32*16)
	if t == 0 {
		return 0, cut
	}
	return cut, n
}

func newSplitLayers(b *testing.B, im *gemmImpl[float32]) []*splitLayer {
	var ls []*splitLayer
	for i := 0; i+1 < len(mlpWidths); i++ {
		l := &splitLayer{in: mlpWidths[i], out: mlpWidths[i+1]}
		_, w, _ := benchOperands[float32](0, l.in, l.out)
		pack := func(p *PackedB, transB bool, k, n int, b0 []float32) error {
			if err := p.reset(im, transB, k, n, b0, l.out); err != nil {
				return err
			}
			return p.PackPart(0, 1)
		}
		must := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		must(pack(&l.fwd, false, l.in, l.out, w))
		must(pack(&l.bwd, true, l.out, l.in, w))
		for t := range 2 {
			c0, c1 := half(l.out, t)
			l.outAt[t] = c0
			must(pack(&l.fwdHalf[t], false, l.in, c1-c0, w[c0:]))
			r0, r1 := half(l.in, t)
			l.inAt[t] = r0
			must(pack(&l.bwdHalf[t], true, l.out, r1-r0, w[r0*l.out:]))
		}
		ls = append(ls, l)
	}
	return ls
}

// BenchmarkLangevinSplit times the products of one Langevin step of 64
// chains through the default MLP (the forward pass, then the input
// gradient) on two goroutines, split two ways: by rows, each worker's 32
// chains through the whole weights (what langevin does), or by columns,
// each worker all 64 chains through half of every layer's columns. The
// columns split reads half the weights per worker per step; it is timed
// without the barrier it would need after every layer (it computes no
// usable result), so it is an upper bound on what that split could gain.
func BenchmarkLangevinSplit(b *testing.B) {
	for _, im := range registry {
		b.Run(im.name, func(b *testing.B) {
			if why := im.missing(); why != "" {
				b.Skip(why)
			}
			ls := newSplitLayers(b, im.sgemm)
			flops := 0.0
			for _, l := range ls {
				flops += 2 * 2 * 64 * float64(l.in*l.out)
			}
			// acts[w][i]: layer i's input for worker w, room for 64 chains
			// (each worker its own, so that the two never share a line).
			var acts, grads [2][][]float32
			for w := range 2 {
				for _, d := range mlpWidths {
					a, g, _ := benchOperands[float32](64, d, 64) // A 64 x d, B d x 64
					acts[w], grads[w] = append(acts[w], a), append(grads[w], g)
				}
			}
			step := map[string]func(w int){
				"rows": func(w int) {
					for i, l := range ls {
						gemmPacked(im.sgemm, 32, 1, acts[w][i], l.in, &l.fwd, 0, acts[w][i+1], l.out)
					}
					for i := len(ls) - 1; i >= 0; i-- {
						l := ls[i]
						gemmPacked(im.sgemm, 32, 1, grads[w][i+1], l.out, &l.bwd, 0, grads[w][i], l.in)
					}
				},
				"columns": func(w int) {
					for i, l := range ls {
						gemmPacked(im.sgemm, 64, 1, acts[w][i], l.in, &l.fwdHalf[w], 0, acts[w][i+1][l.outAt[w]:], l.out)
					}
					for i := len(ls) - 1; i >= 0; i-- {
						l := ls[i]
						gemmPacked(im.sgemm, 64, 1, grads[w][i+1], l.out, &l.bwdHalf[w], 0, grads[w][i][l.inAt[w]:], l.in)
					}
				},
			}
			for _, name := range []string{"rows", "columns"} {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						var wg sync.WaitGroup
						for w := range 2 {
							wg.Go(func() {
								for range 10 {
									step[name](w)
								}
							})
						}
						wg.Wait()
					}
					b.ReportMetric(10*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		})
	}
}

package kernels

import (
	"fmt"
	"math"
)

// Gathered is a left factor whose rows are read where they lie in one
// array, each as runs of Run values with Skip values between runs: value
// p of row i is
//
//	X[Rows[i] + p + (p/Run)*Skip]
//
// A convolution's patch matrix over a zero-padded image (H x W x C,
// channels last) is one: a patch is K runs of K*C values (one per kernel
// row), (W-K)*C apart, and its row starts at its top-left pixel. The
// product then reads the image itself instead of a copy of every patch
// (im2col), which holds each pixel K*K/stride^2 times.
type Gathered struct {
	X         []float32
	Rows      []int
	Run, Skip int
}

// SgemmGathered computes C = alpha*A*op(B) + beta*C for the m x k matrix A
// that a describes (m = len(a.Rows), k and op(B) from p). With beta 0 or 1
// (a product, or one added to C) it gives the same bits as SgemmPacked
// given A's rows copied out row-major; with other betas the tiles at the
// edges round beta*C on its own, as Sgemm's edges do, so the last bit may
// differ.
func SgemmGathered(alpha float32, a Gathered, p *PackedB, beta float32, c []float32, ldc int) error {
	if p == nil || p.im == nil {
		return errNotReset
	}
	m, n, k := len(a.Rows), p.n, p.k
	extent, err := a.check(k)
	if err != nil {
		return err
	}
	nc, err := checkMatrix("gathered sgemm", "len(c)", c, "ldc", ldc, m, n)
	if err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	if overlap(c, nc, a.X, len(a.X)) {
		return &GemmError{"gathered sgemm", "len(c)", len(c), "C overlaps X: C is written while X is read, so they must not share memory"}
	}
	br, bc := k, n
	if p.transB {
		br, bc = n, k
	}
	if nb, _ := span(br, bc, p.ldb); overlap(c, nc, p.b, nb) {
		return &GemmError{"gathered sgemm", "len(c)", len(c), "C overlaps B: C is written while B is read, so they must not share memory"}
	}
	im := active.Load().sgemm
	if im != p.im || im.gather == nil || k == 0 || alpha == 0 || takesDot(im, false, n, k) {
		gatheredByCopy(im, alpha, a, p, beta, c, ldc)
		return nil
	}
	raceGathered(a.X, a.Rows, extent)
	raceRead(p.panels)
	raceMatrix(c, ldc, m, n, true)
	gemmGathered(im, alpha, a, p, beta, c, ldc)
	return nil
}

// check returns how many elements past its start a row reaches (k values
// and their skips, minus one), after checking that every row lies in X.
func (a Gathered) check(k int) (int, error) {
	switch {
	case a.Run < 1:
		return 0, &GemmError{"gathered sgemm", "run", a.Run, "must be positive"}
	case a.Skip < 0:
		return 0, &GemmError{"gathered sgemm", "skip", a.Skip, "must not be negative"}
	case k == 0:
		return 0, nil // no value of any row is read
	}
	last := k - 1
	jumps := last / a.Run
	if jumps > 0 && a.Skip > (math.MaxInt-last)/jumps {
		return 0, &GemmError{"gathered sgemm", "skip", a.Skip, fmt.Sprintf("a row of %d values in runs of %d spans more elements than an int counts", k, a.Run)}
	}
	extent := last + jumps*a.Skip
	for i, r := range a.Rows {
		if r < 0 || r > len(a.X)-1-extent {
			return 0, &GemmError{"gathered sgemm", fmt.Sprintf("rows[%d]", i), r, fmt.Sprintf("a row spans %d elements from its start; len(x) is %d", extent+1, len(a.X))}
		}
	}
	return extent, nil
}

// gemmGathered is the blocked product over p's panels with the gather
// kernel, blocks as gemmBlocked makes them (so each element sums the
// same k block in the same order): the tiles of mr rows, each over every
// panel of a column block; a last partial tile repeats its last row and
// is stored through the workspace's tile.
func gemmGathered(im *gemmImpl[float32], alpha float32, a Gathered, p *PackedB, beta float32, c []float32, ldc int) {
	m, n, k := len(a.Rows), p.n, p.k
	mr, nr := im.mr, im.nr
	const size = 4
	free := idle[float32]()
	ws := free.get()
	defer free.put(ws)
	offs := &ws.offs
	x0, skip := &a.X[0], uintptr(a.Skip)*size
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			be := beta
			if pc > 0 {
				be = 1
			}
			panels := p.panels[panelsAt(jc, pc, k, nc, nr):]
			at, left := pc+pc/a.Run*a.Skip, a.Run-pc%a.Run // where value pc of a row is; values until its run ends
			for ir := 0; ir < m; ir += mr {
				mrr := min(mr, m-ir)
				for i := range mr {
					offs[i] = (a.Rows[ir+min(i, mrr-1)] + at) * size
				}
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					ci := ir*ldc + jc + jr
					if mrr == mr && nrr == nr {
						im.gather(kc, x0, &offs[0], left, a.Run, skip, &panels[jr*kc], &c[ci], uintptr(ldc)*size, alpha, be)
						continue
					}
					im.gather(kc, x0, &offs[0], left, a.Run, skip, &panels[jr*kc], &ws.tmp[0], uintptr(nr)*size, alpha, 0)
					addTile(c[ci:], ldc, ws.tmp, nr, mrr, nrr, be)
				}
			}
		}
	}
}

// gatheredByCopy is the product for implementations without a gather
// kernel (and for the paths SgemmPacked takes without panels): blocks of
// rows copied out, then SgemmPacked's product on them. Rows of a product
// are independent, so the blocks give the bits of the whole.
func gatheredByCopy(im *gemmImpl[float32], alpha float32, a Gathered, p *PackedB, beta float32, c []float32, ldc int) {
	k := p.k
	free := idle[float32]()
	ws := free.get()
	defer free.put(ws)
	buf := ws.a
	if k > len(buf) {
		buf = make([]float32, k) // a row longer than a workspace's panels: not a hot path
	}
	per := max(1, len(buf)/max(1, k))
	for r0 := 0; r0 < len(a.Rows); r0 += per {
		rows := a.Rows[r0:min(len(a.Rows), r0+per)]
		for i, r := range rows {
			row := buf[i*k : (i+1)*k]
			for q := 0; q < k; {
				run := min(a.Run-q%a.Run, k-q)
				at := r + q + q/a.Run*a.Skip
				copy(row[q:q+run], a.X[at:at+run])
				q += run
			}
		}
		packedProduct(im, len(rows), alpha, buf, k, p, beta, c[r0*ldc:], ldc)
	}
}

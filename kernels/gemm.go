package kernels

import (
	"fmt"
	"sync"
	"unsafe"
)

// Cache blocking (BLIS order): a kcBlock x NR panel of B stays in L1 while the
// micro-kernel sweeps the packed mcBlock x kcBlock block of A held in L2; the
// kcBlock x ncBlock block of B lives in L2/L3.
const (
	kcBlock = 256
	mcBlock = 192
	ncBlock = 1024

	maxMR = 8
	maxNR = 32

	// dotMaxN: products with at most this many columns and a row-major
	// op(A) take the dot-product path when the implementation has one.
	dotMaxN = 16

	// directMaxM: up to this many rows of C, a row-major op(B) is read in
	// place instead of packed. With few rows each B element is used only
	// m times, and packing it would cost as much as the product itself.
	directMaxM = 128
)

// workspace holds the packing buffers of one single-threaded GEMM call.
type workspace struct {
	a, b []float32 // packed panels, 64-byte aligned
	tmp  []float32 // one MR x NR tile for edges
	t    []float32 // C^T of narrow transposed-A products, swapChunk columns at a time
}

// swapChunk is how many rows of C a narrow transposed-A product computes
// at a time (as columns of C^T).
const swapChunk = 1024

var workspaces = sync.Pool{New: func() any {
	return &workspace{
		a:   aligned((mcBlock + maxMR) * kcBlock),
		b:   aligned((ncBlock + maxNR) * kcBlock),
		tmp: aligned(maxMR * maxNR),
		t:   aligned(dotMaxN * swapChunk),
	}
}}

func aligned(n int) []float32 {
	s := make([]float32, n+16)
	off := (64 - int(uintptr(unsafe.Pointer(&s[0]))%64)) % 64 / 4
	return s[off : off+n : off+n]
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(A) is m x k and op(B) is k x n: op(X) = X, or X^T when transX is true
// (then X is stored transposed: k x m for A, n x k for B). lda, ldb and ldc
// are the row strides of the stored matrices. beta == 0 means C is only
// written, so NaN or Inf already in C does not leak into the result.
//
// The forms an MLP uses: forward X*W (false, false), input gradient dY*W^T
// (false, true), weight gradient X^T*dY (true, false).
//
// Sgemm runs on the calling goroutine only; see SgemmParallel.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		return err
	}
	gemmWith(active.Load(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return nil
}

// SgemmParallel is Sgemm split across up to workers goroutines, by column
// blocks of C (or row blocks when C is narrow). Call it from outside any
// worker pool: inside one, use Sgemm so the pool stays the single owner of
// the cores.
func SgemmParallel(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		return err
	}
	im := active.Load()
	parts := splitRange(n, workers, im.nr)
	byRows := false
	if len(parts) < 2 {
		parts = splitRange(m, workers, im.mr)
		byRows = true
	}
	if len(parts) < 2 || 2.0*float64(m)*float64(n)*float64(k) < 4e6 {
		gemmWith(im, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return nil
	}
	var wg sync.WaitGroup
	for _, r := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if byRows {
				aOff := r[0] * lda
				if transA {
					aOff = r[0]
				}
				gemmWith(im, transA, transB, r[1]-r[0], n, k, alpha, a[aOff:], lda, b, ldb, beta, c[r[0]*ldc:], ldc)
			} else {
				bOff := r[0]
				if transB {
					bOff = r[0] * ldb
				}
				gemmWith(im, transA, transB, m, r[1]-r[0], k, alpha, a, lda, b[bOff:], ldb, beta, c[r[0]:], ldc)
			}
		}()
	}
	wg.Wait()
	return nil
}

// splitRange cuts [0,n) into at most parts ranges whose inner edges fall on
// multiples of unit; it returns fewer when n is too small to share.
func splitRange(n, parts, unit int) [][2]int {
	units := (n + unit - 1) / unit
	if parts > units {
		parts = units
	}
	if parts < 1 {
		parts = 1
	}
	out := make([][2]int, 0, parts)
	lo := 0
	for p := range parts {
		hi := min(n, (units*(p+1)/parts)*unit)
		if hi > lo {
			out = append(out, [2]int{lo, hi})
		}
		lo = hi
	}
	return out
}

// GemmError describes an Sgemm argument that does not fit.
type GemmError struct {
	Arg    string // "m", "lda", "a", ...
	Value  int
	Reason string
}

func (e *GemmError) Error() string {
	return fmt.Sprintf("kernels: sgemm: %s = %d: %s", e.Arg, e.Value, e.Reason)
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) error {
	for _, d := range []struct {
		name string
		v    int
	}{{"m", m}, {"n", n}, {"k", k}} {
		if d.v < 0 {
			return &GemmError{d.name, d.v, "negative dimension"}
		}
	}
	check := func(name string, s []float32, ldName string, ld, rows, cols int) error {
		if ld < max(1, cols) {
			return &GemmError{ldName, ld, fmt.Sprintf("stride below row length %d", cols)}
		}
		if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
			return &GemmError{name, len(s), fmt.Sprintf("slice too short for %dx%d with stride %d (needs %d)", rows, cols, ld, (rows-1)*ld+cols)}
		}
		return nil
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if err := check("len(a)", a, "lda", lda, ar, ac); err != nil {
		return err
	}
	if err := check("len(b)", b, "ldb", ldb, br, bc); err != nil {
		return err
	}
	return check("len(c)", c, "ldc", ldc, m, n)
}

// gemmWith runs the blocked product on one goroutine with implementation im.
// Arguments are already checked.
func gemmWith(im *impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	raceGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	if im.dot != nil && !transA && n <= dotMaxN && 4*k <= len(ws.b) {
		gemmDot(im, ws, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if transA && !transB && n <= dotMaxN && m >= 2*im.nr {
		gemmSwapped(im, ws, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmBlocked(im, ws, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmBlocked is the cache-blocked product over packed (or in-place)
// panels and the register-tile micro-kernel. It uses ws.a, ws.b and ws.tmp.
func gemmBlocked(im *impl, ws *workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := im.mr, im.nr
	directB := !transB && m <= directMaxM
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			be := beta
			if pc > 0 {
				be = 1
			}
			// B panels: packed panel jr/nr sits at ws.b[jr*kc:], NR floats a row.
			for jr := 0; jr < nc; jr += nr {
				if !directB || nc-jr < nr {
					packB(ws.b[jr*kc:], b, ldb, transB, pc, kc, jc+jr, min(nr, nc-jr), nr)
				}
			}
			for ic := 0; ic < m; ic += mcBlock {
				mc := min(mcBlock, m-ic)
				for ir := 0; ir < mc; ir += mr {
					if !transA || mc-ir < mr {
						packA(ws.a[ir*kc:], a, lda, transA, ic+ir, min(mr, mc-ir), pc, kc, mr)
					}
				}
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					bp, bs := &ws.b[jr*kc], uintptr(nr*4)
					if directB && nrr == nr {
						bp, bs = &b[pc*ldb+jc+jr], uintptr(ldb*4)
					}
					for ir := 0; ir < mc; ir += mr {
						mrr := min(mr, mc-ir)
						ap, as := &ws.a[ir*kc], uintptr(mr*4)
						if transA && mrr == mr {
							ap, as = &a[pc*lda+ic+ir], uintptr(lda*4)
						}
						ci := (ic+ir)*ldc + jc + jr
						if mrr == mr && nrr == nr {
							im.kernel(kc, ap, as, bp, bs, &c[ci], uintptr(ldc*4), alpha, be)
							continue
						}
						im.kernel(kc, ap, as, bp, bs, &ws.tmp[0], uintptr(nr*4), alpha, 0)
						for i := range mrr {
							row := c[ci+i*ldc : ci+i*ldc+nrr]
							t := ws.tmp[i*nr : i*nr+nrr]
							if be == 0 {
								copy(row, t)
							} else {
								for j := range row {
									row[j] = t[j] + be*row[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// gemmSwapped computes a narrow A^T*B (n <= dotMaxN) as C^T = B^T*A: the
// few columns of C become the rows of the register tile and the many rows
// of C its long side, and both operands are read in place (B^T's rows are
// B's columns, contiguous along k as the kernel wants; A's rows are C^T's).
// C^T goes to ws.t; the product packs into a second workspace (sharing
// ws's measured about 20% slower here, from cache-set conflicts).
func gemmSwapped(im *impl, ws *workspace, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i0 := 0; i0 < m; i0 += swapChunk {
		mc := min(swapChunk, m-i0)
		ct := ws.t[:n*mc]
		inner := workspaces.Get().(*workspace)
		gemmBlocked(im, inner, true, false, n, mc, k, alpha, b, ldb, a[i0:], lda, 0, ct, mc)
		workspaces.Put(inner)
		for j := range n {
			col := ct[j*mc : (j+1)*mc]
			for i, v := range col {
				p := &c[(i0+i)*ldc+j]
				if beta == 0 {
					*p = v
				} else {
					*p = v + beta**p
				}
			}
		}
	}
}

// gemmDot computes C in 2x4 tiles of dot products between rows of A and
// rows of op(B)^T. op(B)^T is B itself when transB is set (read in place
// for whole groups of four rows); otherwise a group is gathered into ws.b.
func gemmDot(im *impl, ws *workspace, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for j0 := 0; j0 < n; j0 += 4 {
		cols := min(4, n-j0)
		bt, ldbt := ws.b[:4*k], k
		if transB && cols == 4 {
			bt, ldbt = b[j0*ldb:], ldb
		} else {
			clear(bt)
			for j := range cols {
				row := bt[j*k : (j+1)*k]
				if transB {
					copy(row, b[(j0+j)*ldb:(j0+j)*ldb+k])
				} else {
					for p := range row {
						row[p] = b[p*ldb+j0+j]
					}
				}
			}
		}
		for i := 0; i < m; i += 2 {
			rows := min(2, m-i)
			step := uintptr(lda * 4)
			if rows == 1 {
				step = 0 // the kernel reads row i twice; the second result is dropped
			}
			if rows == 2 && cols == 4 {
				im.dot(k, &a[i*lda], step, &bt[0], uintptr(ldbt*4), &c[i*ldc+j0], uintptr(ldc*4), alpha, beta)
				continue
			}
			tmp := ws.tmp[:8]
			im.dot(k, &a[i*lda], step, &bt[0], uintptr(ldbt*4), &tmp[0], 16, alpha, 0)
			for r := range rows {
				row := c[(i+r)*ldc+j0 : (i+r)*ldc+j0+cols]
				for j := range row {
					if beta == 0 {
						row[j] = tmp[4*r+j]
					} else {
						row[j] = tmp[4*r+j] + beta*row[j]
					}
				}
			}
		}
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

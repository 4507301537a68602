package kernels

import "unsafe"

// Cache blocking (BLIS order): a kcBlock x NR panel of B stays in L1 while the
// micro-kernel sweeps the packed mcBlock x kcBlock block of A held in L2; the
// kcBlock x ncBlock block of B lives in L2/L3. Sizes are in elements, the
// same for both precisions: float64's blocks take twice the bytes and still
// fit (a 256 x 16 float64 panel of B is 32 KB, as a 256 x 32 float32 one).
const (
	kcBlock = 256
	mcBlock = 192
	ncBlock = 1024

	maxMR = 8
	maxNR = 32

	// dotMaxN: products with at most this many columns and a row-major
	// op(A) take the dot-product path when the implementation has one.
	dotMaxN = 16
	// dotMinK: below this depth a dot product is too short to fill the
	// vector lanes it reduces (a 3x3 convolution on one channel has k = 9),
	// and the register-tile path is faster.
	dotMinK = 64

	// directMaxM: up to this many rows of C, a row-major op(B) is read in
	// place instead of packed. With few rows each B element is used only
	// m times, and packing it would cost as much as the product itself.
	directMaxM = 128

	// directMaxN: with up to this many columns of C, a row-major A is read
	// in place whatever its rows: each A element serves only a few column
	// tiles, and packing it would cost a good part of the product (the
	// patch products of a convolution, n = its channels).
	directMaxN = 128
)

// microKernel computes one MR x NR tile of C. For p in [0,kc) the MR values
// of op(A)'s column p start at a + p*aStride bytes and the NR values of
// op(B)'s row p at b + p*bStride bytes. It stores C[i][j] = alpha*acc +
// beta*C[i][j] with rows ldc bytes apart; beta == 0 means C is not read.
type microKernel[E element] func(kc int, a *E, aStride uintptr, b *E, bStride uintptr, c *E, ldc uintptr, alpha, beta E)

// gemmImpl is one implementation's GEMM for one element type.
type gemmImpl[E element] struct {
	mr, nr int // register tile of the micro-kernel
	kernel microKernel[E]
	// dot, if set, computes a 2x4 tile of C from two rows of A and four
	// rows of B^T, all contiguous in k (row strides in bytes): the path for
	// products with few columns.
	dot microKernel[E]
	// half, if set, is the kernel for an MR x NR/2 tile: a last block of
	// NR/2 columns runs on it in place instead of through a padded tile.
	half microKernel[E]
	// rows, if set, is the full-tile kernel reading A's rows where they lie
	// (A's element (i, p) at a + i*aStride + p*size) instead of a panel.
	rows microKernel[E]
	// rowsHalf, if set, is rows for an MR x NR/2 tile: a last block of
	// NR/2 columns (a one-channel convolution's 16 kernel offsets on
	// AVX-512) without computing the empty half of a full tile.
	rowsHalf microKernel[E]
	// pair, if set, is rows for a 2 x 2NR tile over two panels of B, the
	// second next bytes after the first: the rows past the last whole tile
	// of a Langevin shard (32 = 5*6 + 2 on AVX2) at the full tile's speed,
	// each element summed as the full tile sums it.
	pair pairKernel[E]
	// pack8, if set, interleaves eight rows into a panel (see packRows8).
	pack8 packer[E]
	// gather, if set (SGEMM only), is rows for A's rows anywhere in one
	// array, as runs with skips between them (SgemmGathered).
	gather gatherKernel
}

// gatherKernel is the full-tile kernel over a packed panel of B (rows NR
// values apart) whose A row i starts at byte a + offs[i] and runs left
// values, then skips skip bytes, then runs run values before each skip.
type gatherKernel func(kc int, a *float32, offs *int, left, run int, skip uintptr, b *float32, c *float32, ldc uintptr, alpha, beta float32)

// pairKernel is a microKernel with a second panel of B next bytes on.
type pairKernel[E element] func(kc int, a *E, aStride uintptr, b *E, bStride uintptr, c *E, ldc uintptr, alpha, beta E, next uintptr)

// gemmWith runs the blocked product on one goroutine with implementation im.
// Arguments are already checked.
func gemmWith[E element](im *gemmImpl[E], transA, transB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	raceGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	free := idle[E]()
	ws := free.get()
	defer free.put(ws)
	if takesDot(im, transA, n, k) {
		gemmDot(im, ws, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if transA && !transB && n <= dotMaxN && m >= 2*im.nr {
		gemmSwapped(im, ws, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// The plain order packs B^T (n*k values); C^T = B*A^T packs A^T and
	// transposes C (m*k + m*n): take whichever moves less.
	if !transA && transB && im.rows != nil && m <= directMaxM && m*(k+n) < n*k {
		gemmRowsNT(im, ws, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmBlocked(im, ws, transA, transB, readsRowsOfA(im, transA, m, n), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// readsRowsOfA reports whether the blocked product reads A's rows in place:
// with few rows (a Langevin shard has 32) a tile's rows stay in L1 across a
// k block, so packing them on every call buys nothing; with few columns
// packing would not pay either.
func readsRowsOfA[E element](im *gemmImpl[E], transA bool, m, n int) bool {
	return !transA && im.rows != nil && (m <= directMaxM || n <= directMaxN)
}

// takesDot reports whether gemmWith computes the product by dot products.
// (Four rows of op(B)^T must fit the workspace's B panels.)
func takesDot[E element](im *gemmImpl[E], transA bool, n, k int) bool {
	return im.dot != nil && !transA && n <= dotMaxN && k >= dotMinK && 4*k <= bPanelsLen
}

// gemmBlocked is the cache-blocked product over packed (or in-place)
// panels and the register-tile micro-kernel. It uses ws.a, ws.b and ws.tmp.
// With rowsA (A not transposed, the implementation has a rows kernel) whole
// tiles read A's rows in place; only a last partial block of rows is packed.
// With panels (op(B) packed whole by packPanels) B is neither packed nor
// read: b is not used.
func gemmBlocked[E element](im *gemmImpl[E], ws *workspace[E], transA, transB, rowsA bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int, panels []E) {
	mr, nr := im.mr, im.nr
	size := unsafe.Sizeof(alpha)
	// B's rows are read in place for few rows of A by the SIMD kernels;
	// the portable kernel's four-wide panels gain 1.3x from packing
	// (bench/README.md).
	directB := !transB && m <= directMaxM && im.rows != nil && panels == nil
	// A^T read in place steps a row of A (lda apart) every k: with a
	// power-of-two lda a k block's rows fall on a few L1 sets. Packed, it
	// pays back once enough column panels reuse the panel.
	packsAT := transA && n > directMaxN
	// A last block of nr/2 columns is a whole tile of the half kernel, or
	// of its rows form when A's rows are read in place.
	halfCols := -1
	if im.half != nil && (!rowsA || im.rowsHalf != nil) {
		halfCols = nr / 2
	}
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			be := beta
			if pc > 0 {
				be = 1
			}
			// B panels: packed panel jr/nr sits at bPanels[jr*kc:], NR floats a row.
			bPanels := ws.b
			if panels != nil {
				bPanels = panels[panelsAt(jc, pc, k, nc, nr):]
			}
			for jr := 0; jr < nc && panels == nil; jr += nr {
				if cols := nc - jr; !directB || cols < nr && cols != halfCols {
					packB(im.pack8, ws.b[jr*kc:], b, ldb, transB, pc, kc, jc+jr, min(nr, nc-jr), nr)
				}
			}
			for ic := 0; ic < m; ic += mcBlock {
				mc := min(mcBlock, m-ic)
				for ir := 0; ir < mc; ir += mr {
					if !transA && !rowsA || mc-ir < mr || packsAT {
						packA(im.pack8, ws.a[ir*kc:], a, lda, transA, ic+ir, min(mr, mc-ir), pc, kc, mr)
					}
				}
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					bp, bs := &bPanels[jr*kc], uintptr(nr)*size
					direct := directB && (nrr == nr || nrr == halfCols)
					if direct {
						bp, bs = &b[pc*ldb+jc+jr], uintptr(ldb)*size
					}
					// The rows past the last whole tile go two at a time
					// through the pair kernel when this panel and its
					// neighbour (panels pair up 0-1, 2-3, ...) are whole.
					// The second of the two computes both: its whole tiles
					// have just brought both panels into cache.
					pairRows, second := 0, jr%(2*nr) == nr
					if rowsA && im.pair != nil && (jr-jr%(2*nr))+2*nr <= nc {
						pairRows = mc % mr &^ 1
					}
					for ir := 0; ir < mc; ir += mr {
						mrr := min(mr, mc-ir)
						ap, as := &ws.a[ir*kc], uintptr(mr)*size
						if transA && mrr == mr && !packsAT {
							ap, as = &a[pc*lda+ic+ir], uintptr(lda)*size
						}
						ci := (ic+ir)*ldc + jc + jr
						if rowsA && mrr == mr {
							ap, as = &a[(ic+ir)*lda+pc], uintptr(lda)*size
							if nrr == nr {
								im.rows(kc, ap, as, bp, bs, &c[ci], uintptr(ldc)*size, alpha, be)
								continue
							}
							if nrr == halfCols {
								im.rowsHalf(kc, ap, as, bp, bs, &c[ci], uintptr(ldc)*size, alpha, be)
								continue
							}
							im.rows(kc, ap, as, bp, bs, &ws.tmp[0], uintptr(nr)*size, alpha, 0)
							addTile(c[ci:], ldc, ws.tmp, nr, mrr, nrr, be)
							continue
						}
						if mrr < mr && pairRows > 0 {
							if second {
								// The first panel of the pair, and the bytes on to this one.
								pp, next := &bPanels[(jr-nr)*kc], uintptr(kc*nr)*size
								if direct {
									pp, next = &b[pc*ldb+jc+jr-nr], uintptr(nr)*size
								}
								for r := 0; r < pairRows; r += 2 {
									im.pair(kc, &a[(ic+ir+r)*lda+pc], uintptr(lda)*size, pp, bs, &c[ci-nr+r*ldc], uintptr(ldc)*size, alpha, be, next)
								}
							}
							if pairRows == mrr {
								continue
							}
							// An odd last row: through a whole tile below.
							ci += pairRows * ldc
						}
						if mrr == mr && nrr == nr {
							im.kernel(kc, ap, as, bp, bs, &c[ci], uintptr(ldc)*size, alpha, be)
							continue
						}
						if nrr == halfCols {
							if mrr == mr {
								im.half(kc, ap, as, bp, bs, &c[ci], uintptr(ldc)*size, alpha, be)
								continue
							}
							im.half(kc, ap, as, bp, bs, &ws.tmp[0], uintptr(nr)*size, alpha, 0)
						} else {
							im.kernel(kc, ap, as, bp, bs, &ws.tmp[0], uintptr(nr)*size, alpha, 0)
						}
						skip := 0
						if mrr < mr {
							skip = pairRows
						}
						addTile(c[ci:], ldc, ws.tmp[skip*nr:], nr, mrr-skip, nrr, be)
					}
				}
			}
		}
	}
}

// addTile stores rows x cols of a kernel's tile t (row stride ldt) into c:
// c = t + beta*c, or c = t when beta is 0 (c is then not read).
func addTile[E element](c []E, ldc int, t []E, ldt, rows, cols int, beta E) {
	for i := range rows {
		row := c[i*ldc : i*ldc+cols]
		ti := t[i*ldt : i*ldt+cols]
		if beta == 0 {
			copy(row, ti)
			continue
		}
		for j := range row {
			row[j] = ti[j] + beta*row[j]
		}
	}
}

// gemmRowsNT computes C = A*B^T for few rows of A (m <= directMaxM) as
// C^T = B*A^T, ncBlock columns of C at a time: the rows kernel reads B's
// rows where they lie, only A (the small operand) is packed, and C^T is
// transposed into C. The plain order would pack all of B^T, which at these
// m costs a sizeable share of the product.
func gemmRowsNT[E element](im *gemmImpl[E], ws *workspace[E], m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	for j0 := 0; j0 < n; j0 += ncBlock {
		nc := min(ncBlock, n-j0)
		ct := ws.ct[:nc*m]
		gemmBlocked(im, ws, false, true, true, nc, m, k, alpha, b[j0*ldb:], ldb, a, lda, 0, ct, m, nil)
		storeTransposed(im.pack8, c[j0:], ldc, ct, m, nc, beta)
	}
}

// storeTransposed stores the transpose of ct (cols x rows, row stride rows)
// into the rows x cols block of c: c = ct^T + beta*c, or c = ct^T when beta
// is 0 (c is then not read, and the packing transposes do the copy).
func storeTransposed[E element](pack8 packer[E], c []E, ldc int, ct []E, rows, cols int, beta E) {
	if beta == 0 {
		transpose(pack8, cols, rows, ct, rows, c, ldc)
		return
	}
	for i := range rows {
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			row[j] = ct[j*rows+i] + beta*row[j]
		}
	}
}

// gemmSwapped computes a narrow A^T*B (n <= dotMaxN) as C^T = B^T*A: the
// few columns of C become the rows of the register tile and the many rows
// of C its long side, and both operands are read in place (B^T's rows are
// B's columns, contiguous along k as the kernel wants; A's rows are C^T's).
// C^T goes to ws.t; the product packs into a second workspace (sharing
// ws's measured about 20% slower here, from cache-set conflicts).
func gemmSwapped[E element](im *gemmImpl[E], ws *workspace[E], m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	for i0 := 0; i0 < m; i0 += swapChunk {
		mc := min(swapChunk, m-i0)
		ct := ws.t[:n*mc]
		inner := idle[E]().get()
		gemmBlocked(im, inner, true, false, false, n, mc, k, alpha, b, ldb, a[i0:], lda, 0, ct, mc, nil)
		idle[E]().put(inner)
		storeTransposed(im.pack8, c[i0*ldc:], ldc, ct, mc, n, beta)
	}
}

// gemmDot computes C in 2x4 tiles of dot products between rows of A and
// rows of op(B)^T. op(B)^T is B itself when transB is set (read in place
// for whole groups of four rows); otherwise a group is gathered into ws.b.
func gemmDot[E element](im *gemmImpl[E], ws *workspace[E], transB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	size := unsafe.Sizeof(alpha)
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
			step := uintptr(lda) * size
			if rows == 1 {
				step = 0 // the kernel reads row i twice; the second result is dropped
			}
			if rows == 2 && cols == 4 {
				im.dot(k, &a[i*lda], step, &bt[0], uintptr(ldbt)*size, &c[i*ldc+j0], uintptr(ldc)*size, alpha, beta)
				continue
			}
			tmp := ws.tmp[:8]
			im.dot(k, &a[i*lda], step, &bt[0], uintptr(ldbt)*size, &tmp[0], 4*size, alpha, 0)
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

func scaleC[E element](m, n int, beta E, c []E, ldc int) {
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

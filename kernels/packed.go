package kernels

import (
	"errors"
	"fmt"
	"math"
)

// PackedB is the right factor op(B) of many products, copied once into the
// panels the micro-kernel streams through: a layer's weights, shared by the
// products of every step of a Langevin chain. SgemmPacked then neither
// packs B nor reads it in place; read in place, a row stride of a few KB
// maps a panel's rows onto a few L1 sets, and the panel leaves L1 between
// the tiles that reuse it (bench/README.md).
//
// Fill it with Pack, or with Reset and then PackPart for every part
// (concurrently if wished). The panels are a copy: after B changes, pack
// it again. The zero value is empty; a PackedB keeps its memory for the
// next Reset of the same or a smaller size.
type PackedB struct {
	im     *gemmImpl[float32] // the implementation the panels are laid out for
	transB bool
	b      []float32 // op(B)'s storage, for the products the panels do not serve
	ldb    int
	k, n   int
	panels []float32
}

var errNotReset = errors.New("kernels: packed B: not reset (call Reset or Pack first)")

// Pack makes p hold op(B), k x n, for the implementation active now: B is k
// x n, or n x k when transB, with row stride ldb.
func (p *PackedB) Pack(transB bool, k, n int, b []float32, ldb int) error {
	if err := p.Reset(transB, k, n, b, ldb); err != nil {
		return err
	}
	return p.PackPart(0, 1)
}

// Reset is Pack without the copying: it checks the arguments, lays out
// p's panels for the implementation active now and remembers b. The panels
// hold op(B) once PackPart has run for every part of one split.
func (p *PackedB) Reset(transB bool, k, n int, b []float32, ldb int) error {
	return p.reset(active.Load().sgemm, transB, k, n, b, ldb)
}

func (p *PackedB) reset(im *gemmImpl[float32], transB bool, k, n int, b []float32, ldb int) error {
	if k < 0 || n < 0 {
		return &GemmError{"packed sgemm", "k, n", min(k, n), "negative dimension"}
	}
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	if _, err := checkMatrix("packed sgemm", "len(b)", b, "ldb", ldb, rows, cols); err != nil {
		return err
	}
	if n > math.MaxInt-im.nr || k > 0 && (n+im.nr-1)/im.nr*im.nr > math.MaxInt/k {
		return &GemmError{"packed sgemm", "n", n, fmt.Sprintf("%d rows of panels %d wide count more elements than an int", k, im.nr)}
	}
	cols = (n + im.nr - 1) / im.nr * im.nr
	*p = PackedB{im: im, transB: transB, b: b, ldb: ldb, k: k, n: n, panels: p.panels}
	if cap(p.panels) < k*cols {
		p.panels = aligned[float32](k * cols)
	}
	p.panels = p.panels[:k*cols]
	return nil
}

// PackPart copies part of parts of op(B) into the panels: whole panels, the
// same ones for the same parts. Parts may run concurrently; every part of
// one split must have run before a product reads p.
func (p *PackedB) PackPart(part, parts int) error {
	if p.im == nil {
		return errNotReset
	}
	if parts < 1 || part < 0 || part >= parts {
		return fmt.Errorf("kernels: packed B: part %d of %d: want 0 <= part < parts", part, parts)
	}
	if p.k == 0 || p.n == 0 {
		return nil // nothing to pack (a 0 x n matrix may have any n)
	}
	nr := p.im.nr
	units := (p.n + nr - 1) / nr
	// start(i) = i*(units/parts) + min(i, units%parts) cannot overflow.
	start := func(i int) int { return min(p.n, (i*(units/parts)+min(i, units%parts))*nr) }
	j0, j1 := start(part), start(part+1)
	packPanels(p.im, p.panels, p.b, p.ldb, p.transB, p.k, p.n, j0, j1)
	return nil
}

// panelsAt is where the packed block of columns [jc, jc+nc) and rows
// [pc, pc+kc) of op(B) starts among the panels of a k-deep product: every
// earlier column block is ncBlock wide (a multiple of NR), and within a
// column block the k blocks follow each other, each NR-padded.
func panelsAt(jc, pc, k, nc, nr int) int {
	return jc*k + pc*((nc+nr-1)/nr*nr)
}

// packPanels packs columns [j0, j1) of op(B) (j0 on a panel edge) for every
// block of the blocked product, as gemmBlocked would pack them one block
// at a time.
func packPanels[E element](im *gemmImpl[E], dst, b []E, ldb int, transB bool, k, n, j0, j1 int) {
	nr := im.nr
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			at := panelsAt(jc, pc, k, nc, nr)
			for jr := max(0, j0-jc); jr < nc && jc+jr < j1; jr += nr {
				packB(im.pack8, dst[at+jr*kc:], b, ldb, transB, pc, kc, jc+jr, min(nr, nc-jr), nr)
			}
		}
	}
}

// SgemmPacked computes C = alpha*A*op(B) + beta*C with op(B) from p: the
// same bits as Sgemm(false, false, ...) given op(B) stored row-major. If
// another implementation was made active since p was reset, it runs as
// Sgemm(false, transB, ...) on B where it lies.
func SgemmPacked(m int, alpha float32, a []float32, lda int, p *PackedB, beta float32, c []float32, ldc int) error {
	if p == nil || p.im == nil {
		return errNotReset
	}
	if err := checkGemm("packed sgemm", false, p.transB, m, p.n, p.k, a, lda, p.b, p.ldb, c, ldc); err != nil {
		return err
	}
	packedProduct(active.Load().sgemm, m, alpha, a, lda, p, beta, c, ldc)
	return nil
}

// packedProduct is SgemmPacked on checked arguments with implementation
// im: over p's panels if im laid them out, else with op(B) where it lies.
func packedProduct(im *gemmImpl[float32], m int, alpha float32, a []float32, lda int, p *PackedB, beta float32, c []float32, ldc int) {
	if im != p.im {
		gemmWith(im, false, p.transB, m, p.n, p.k, alpha, a, lda, p.b, p.ldb, beta, c, ldc)
		return
	}
	gemmPacked(im, m, alpha, a, lda, p, beta, c, ldc)
}

// gemmPacked is SgemmPacked on checked arguments with p's implementation.
func gemmPacked(im *gemmImpl[float32], m int, alpha float32, a []float32, lda int, p *PackedB, beta float32, c []float32, ldc int) {
	n, k := p.n, p.k
	if m == 0 || n == 0 || k == 0 || alpha == 0 || takesDot(im, false, n, k) {
		// Dot products read op(B)^T's rows, which B's storage has.
		gemmWith(im, false, p.transB, m, n, k, alpha, a, lda, p.b, p.ldb, beta, c, ldc)
		return
	}
	free := idle[float32]()
	ws := free.get()
	defer free.put(ws)
	raceRead(p.panels)
	raceMatrix(a, lda, m, k, false)
	raceMatrix(c, ldc, m, n, true)
	gemmBlocked(im, ws, false, false, readsRowsOfA(im, false, m, n), m, n, k, alpha, a, lda, nil, 0, beta, c, ldc, p.panels)
}

package kernels

import "unsafe"

// Packing copies a block of op(A) or op(B) into the contiguous panel
// layout the micro-kernels stream through: MR (or NR) values per k step.

// packA writes rows [i0,i0+rows) x columns [p0,p0+kc) of op(A) as kc groups
// of mr values (column-major in the panel), zero-padding rows past the edge.
func packA[E element](pack8 packer[E], dst, a []E, lda int, transA bool, i0, rows, p0, kc, mr int) {
	dst = dst[:kc*mr]
	if rows < mr {
		clear(dst)
	}
	if transA {
		for p := range kc {
			copy(dst[p*mr:p*mr+rows], a[(p0+p)*lda+i0:])
		}
		return
	}
	if rows == 6 && mr == 6 {
		row := func(i int) []E { return a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kc] }
		r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
		for p := range r0 {
			d := dst[p*6 : p*6+6 : p*6+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
		return
	}
	if rows == 8 && mr == 8 {
		// Eight rows at once: contiguous 32-byte writes instead of strided ones.
		done := packRows8(pack8, dst, 8, a[i0*lda+p0:], lda, kc)
		row := func(i int) []E { return a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kc] }
		r0, r1, r2, r3, r4, r5, r6, r7 := row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)
		for p := done; p < kc; p++ {
			d := dst[p*8 : p*8+8 : p*8+8]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]
		}
		return
	}
	for i := range rows {
		src := a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kc]
		for p, v := range src {
			dst[p*mr+i] = v
		}
	}
}

// packB writes rows [p0,p0+kc) x columns [j0,j0+cols) of op(B) as kc rows of
// nr values, zero-padding columns past the edge.
func packB[E element](pack8 packer[E], dst, b []E, ldb int, transB bool, p0, kc, j0, cols, nr int) {
	dst = dst[:kc*nr]
	if cols < nr {
		clear(dst)
	}
	if !transB {
		for p := range kc {
			copy(dst[p*nr:p*nr+cols], b[(p0+p)*ldb+j0:])
		}
		return
	}
	// Eight (then four) columns of op(B), i.e. rows of B, at a time, so each
	// packed row gets a contiguous write.
	row := func(j int) []E { return b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kc] }
	j := 0
	for ; j+8 <= cols; j += 8 {
		done := packRows8(pack8, dst[j:], nr, b[(j0+j)*ldb+p0:], ldb, kc)
		r0, r1, r2, r3, r4, r5, r6, r7 := row(j), row(j+1), row(j+2), row(j+3), row(j+4), row(j+5), row(j+6), row(j+7)
		for p := done; p < kc; p++ {
			d := dst[p*nr+j : p*nr+j+8 : p*nr+j+8]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]
		}
	}
	for ; j+4 <= cols; j += 4 {
		r0, r1, r2, r3 := row(j), row(j+1), row(j+2), row(j+3)
		for p := range r0 {
			d := dst[p*nr+j : p*nr+j+4 : p*nr+j+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; j < cols; j++ {
		for p, v := range row(j) {
			dst[p*nr+j] = v
		}
	}
}

// packer interleaves eight rows: for p in [0,kc), src[i*srcStride + p]
// for i in 0..7 become the eight values at dst[p*dstStride:] (strides in
// bytes); kc a multiple of 8.
type packer[E element] func(dst *E, dstStride uintptr, src *E, srcStride uintptr, kc int)

// packRows8 interleaves the first kc&^7 columns of eight rows of src (row
// stride ld) into dst, stride dstStride elements, with the implementation's
// packer, and returns how many columns it did: 0 without one. The caller
// packs the rest. (The race shims need nothing here: gemmWith already
// touched A and B from Go, and the panel is this goroutine's own.)
func packRows8[E element](pack8 packer[E], dst []E, dstStride int, src []E, ld, kc int) int {
	done := kc &^ 7
	if pack8 == nil || done == 0 {
		return 0
	}
	_ = dst[(done-1)*dstStride+7]
	_ = src[7*ld+done-1]
	var z E
	size := unsafe.Sizeof(z)
	pack8(&dst[0], uintptr(dstStride)*size, &src[0], uintptr(ld)*size, done)
	return done
}

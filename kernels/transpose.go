package kernels

import "fmt"

// Transpose writes dst = src^T: src is rows x cols with row stride lds, dst
// is cols x rows with row stride ldd. Eight rows at a time go through the
// implementation's packing transposes where it has them (the same 8 x 8
// YMM transposes that pack GEMM panels); the rest is scalar. src and dst
// must not share memory (an error otherwise).
func Transpose(rows, cols int, src []float32, lds int, dst []float32, ldd int) error {
	switch {
	case rows < 0 || cols < 0:
		return fmt.Errorf("kernels: transpose: %dx%d: negative dimension", rows, cols)
	case rows == 0 || cols == 0:
		return nil
	case lds < cols:
		return fmt.Errorf("kernels: transpose: lds = %d: below the row length %d", lds, cols)
	case ldd < rows:
		return fmt.Errorf("kernels: transpose: ldd = %d: below the row length %d of dst", ldd, rows)
	}
	ns, ok := span(rows, cols, lds)
	if !ok || len(src) < ns {
		return fmt.Errorf("kernels: transpose: len(src) = %d: too short for %dx%d with stride %d", len(src), rows, cols, lds)
	}
	nd, ok := span(cols, rows, ldd)
	if !ok || len(dst) < nd {
		return fmt.Errorf("kernels: transpose: len(dst) = %d: too short for %dx%d with stride %d", len(dst), cols, rows, ldd)
	}
	if overlap(src, ns, dst, nd) {
		return fmt.Errorf("kernels: transpose: src and dst overlap: dst is written while src is read, so they must not share memory")
	}
	raceMatrix(src, lds, rows, cols, false)
	raceMatrix(dst, ldd, cols, rows, true)
	transpose(active.Load().sgemm.pack8, rows, cols, src, lds, dst, ldd)
	return nil
}

// transpose is Transpose on checked arguments, with the packer pack8 (nil:
// scalar only).
func transpose[E element](pack8 packer[E], rows, cols int, src []E, lds int, dst []E, ldd int) {
	i := 0
	for ; i+8 <= rows; i += 8 {
		done := packRows8(pack8, dst[i:], ldd, src[i*lds:], lds, cols)
		for r := i; r < i+8; r++ {
			row := src[r*lds : r*lds+cols]
			for p := done; p < cols; p++ {
				dst[p*ldd+r] = row[p]
			}
		}
	}
	for ; i < rows; i++ {
		for p, v := range src[i*lds : i*lds+cols] {
			dst[p*ldd+i] = v
		}
	}
}

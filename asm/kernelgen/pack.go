// The packing kernel: eight rows of a matrix interleaved into the panel
// layout the micro-kernels read.
package main

import (
	"bytes"
	"fmt"
)

// pack8AVX writes pack8AVX: for p in [0,kc), the p-th values of eight rows
// (src rows srcStride bytes apart) become eight consecutive floats at
// dst + p*dstStride. It is an 8 x kc -> kc x 8 transpose done 8 x 8 at a
// time in YMM registers (unpack, shuffle, then swap 128-bit lanes); kc must
// be a multiple of 8 (Go packs the tail). packA's eight-row panels and
// packB's transposed panels are both this operation. Only AVX
// instructions: the avx2 and avx512 implementations share it.
func pack8AVX(b *bytes.Buffer) {
	b.WriteString(`// Packing kernel, AVX: eight rows interleaved, 8 x 8 transposes in YMM.
// Rows in Y0-Y7; unpacked pairs in Y8-Y15; shuffled quads back in Y0-Y7;
// the transposed rows in Y8-Y15. Requires: AVX.

//go:build !purego

#include "textflag.h"

`)
	fmt.Fprintf(b, "// func pack8AVX(%s)\nTEXT ·pack8AVX(SB), NOSPLIT, $0-40\n", pack8Sig)
	b.WriteString("\tMOVQ dst+0(FP), DI\n\tMOVQ dstStride+8(FP), R8\n\tMOVQ src+16(FP), SI\n\tMOVQ srcStride+24(FP), R9\n\tMOVQ kc+32(FP), CX\n")
	// Row pointers: SI, R10-R14 hold rows 0-5; rows 6 and 7 go through BX
	// (R15 is left alone: the dynamic linker may clobber it).
	b.WriteString("\tLEAQ (SI)(R9*1), R10\n\tLEAQ (R10)(R9*1), R11\n\tLEAQ (R11)(R9*1), R12\n\tLEAQ (R12)(R9*1), R13\n\tLEAQ (R13)(R9*1), R14\n")
	b.WriteString("\tXORQ AX, AX\n\tSHRQ $3, CX\n\tJZ done\nloop:\n")
	for i, r := range []string{"SI", "R10", "R11", "R12", "R13", "R14"} {
		fmt.Fprintf(b, "\tVMOVUPS (%s)(AX*1), Y%d\n", r, i)
	}
	b.WriteString("\tLEAQ (R14)(R9*1), BX\n\tVMOVUPS (BX)(AX*1), Y6\n\tADDQ R9, BX\n\tVMOVUPS (BX)(AX*1), Y7\n")
	// Pairs: Y8+2q = lo(r2q, r2q+1), Y9+2q = hi(r2q, r2q+1).
	for q := 0; q < 4; q++ {
		fmt.Fprintf(b, "\tVUNPCKLPS Y%d, Y%d, Y%d\n\tVUNPCKHPS Y%d, Y%d, Y%d\n", 2*q+1, 2*q, 8+2*q, 2*q+1, 2*q, 9+2*q)
	}
	// Quads: from pairs (Y8,Y10) and (Y9,Y11) for rows 0-3, (Y12,Y14) and (Y13,Y15) for rows 4-7.
	for h := 0; h < 2; h++ {
		lo, hi := 8+4*h, 9+4*h
		o := 4 * h
		fmt.Fprintf(b, "\tVSHUFPS $0x44, Y%d, Y%d, Y%d\n\tVSHUFPS $0xee, Y%d, Y%d, Y%d\n", lo+2, lo, o, lo+2, lo, o+1)
		fmt.Fprintf(b, "\tVSHUFPS $0x44, Y%d, Y%d, Y%d\n\tVSHUFPS $0xee, Y%d, Y%d, Y%d\n", hi+2, hi, o+2, hi+2, hi, o+3)
	}
	// Column c of the block: low lanes from rows 0-3 (Y0-Y3), high from rows 4-7 (Y4-Y7).
	for c := 0; c < 8; c++ {
		sel := "$0x20"
		if c >= 4 {
			sel = "$0x31"
		}
		fmt.Fprintf(b, "\tVPERM2F128 %s, Y%d, Y%d, Y%d\n", sel, 4+c%4, c%4, 8+c)
	}
	b.WriteString("\tMOVQ DI, BX\n")
	for c := 0; c < 8; c++ {
		fmt.Fprintf(b, "\tVMOVUPS Y%d, (BX)\n", 8+c)
		if c < 7 {
			b.WriteString("\tADDQ R8, BX\n")
		}
	}
	b.WriteString("\tLEAQ (DI)(R8*8), DI\n\tADDQ $32, AX\n\tDECQ CX\n\tJNZ loop\ndone:\n\tVZEROUPPER\n\tRET\n")
}

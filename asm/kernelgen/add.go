// The vector add kernels: dst += src.
package main

import (
	"bytes"
	"fmt"
)

// addX86 writes dst[i] += src[i] over n floats (a multiple of the vector
// width; Go finishes the tail), two vectors a step while they last. One
// add per element, as the generic loop: the results are the same bits.
func addX86(b *bytes.Buffer, name, reg string, width int, requires string) {
	fmt.Fprintf(b, `// Vector add, %s: dst += src, %d floats a vector.
// Requires: %s.

//go:build !purego

#include "textflag.h"

`, name, width, requires)
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	bytesPer := 4 * width
	fmt.Fprintf(b, "// func %s(%s)\nTEXT ·%s(SB), NOSPLIT, $0-24\n", name, addSig, name)
	b.WriteString("\tMOVQ dst+0(FP), DI\n\tMOVQ src+8(FP), SI\n\tMOVQ n+16(FP), CX\n")
	fmt.Fprintf(b, "\tSHRQ $%d, CX\n", map[int]int{8: 3, 16: 4}[width])
	b.WriteString("\tXORQ AX, AX\npairs:\n\tCMPQ CX, $2\n\tJLT single\n")
	for i := range 2 {
		fmt.Fprintf(b, "\tVMOVUPS %d(DI)(AX*1), %s\n", i*bytesPer, r(i))
		fmt.Fprintf(b, "\tVADDPS %d(SI)(AX*1), %s, %s\n", i*bytesPer, r(i), r(i))
	}
	for i := range 2 {
		fmt.Fprintf(b, "\tVMOVUPS %s, %d(DI)(AX*1)\n", r(i), i*bytesPer)
	}
	fmt.Fprintf(b, "\tADDQ $%d, AX\n\tSUBQ $2, CX\n\tJMP pairs\nsingle:\n\tTESTQ CX, CX\n\tJZ done\n", 2*bytesPer)
	fmt.Fprintf(b, "\tVMOVUPS (DI)(AX*1), %s\n\tVADDPS (SI)(AX*1), %s, %s\n\tVMOVUPS %s, (DI)(AX*1)\n", r(0), r(0), r(0), r(0))
	b.WriteString("done:\n\tVZEROUPPER\n\tRET\n")
}

func addAVX512(b *bytes.Buffer) { addX86(b, "addAVX512", "Z", 16, "AVX512F") }

func addAVX2(b *bytes.Buffer) { addX86(b, "addAVX2", "Y", 8, "AVX") }

// The Adam update kernels.
package main

import (
	"bytes"
	"fmt"
)

// adamX86 writes one Adam update over n floats (a multiple of the vector
// width; Go finishes the tail), with the operations in the generic code's
// order, each rounded to float32, and no fused multiply-add, so that every
// implementation gives the generic result bit for bit:
//
//	gv = g*scale; m = b1*m + c1*gv; v = b2*v + (c2*gv)*gv
//	p = p - (step*m) / (sqrt(v)*inv + eps)
//
// Vector registers: the eight scalars broadcast into 8-15, work in 0-7.
func adamX86(b *bytes.Buffer, name, reg string, width int, requires string) {
	fmt.Fprintf(b, `// Adam update, %s: %d floats a step, the operations of the generic code in
// its order, no FMA (results equal the generic ones bit for bit).
// Requires: %s.

//go:build !purego

#include "textflag.h"

`, name, width, requires)
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	fmt.Fprintf(b, "// func %s(%s)\nTEXT ·%s(SB), NOSPLIT, $0-72\n", name, adamSig, name)
	b.WriteString("\tMOVQ p+0(FP), DI\n\tMOVQ m+8(FP), SI\n\tMOVQ v+16(FP), DX\n\tMOVQ grad+24(FP), R8\n\tMOVQ n+32(FP), CX\n")
	for i, s := range []string{"scale", "b1", "c1", "b2", "c2", "step", "inv", "eps"} {
		fmt.Fprintf(b, "\tVBROADCASTSS %s+%d(FP), %s\n", s, 40+4*i, r(8+i))
	}
	scale, b1, c1, b2, c2, step, inv, eps := r(8), r(9), r(10), r(11), r(12), r(13), r(14), r(15)
	fmt.Fprintf(b, "\tXORQ AX, AX\n\tSHRQ $%d, CX\n\tJZ done\nloop:\n", map[int]int{8: 3, 16: 4}[width])
	ops := []string{
		fmt.Sprintf("VMOVUPS (R8)(AX*1), %s", r(0)),
		fmt.Sprintf("VMULPS %s, %s, %s", scale, r(0), r(0)), // gv
		fmt.Sprintf("VMOVUPS (SI)(AX*1), %s", r(1)),
		fmt.Sprintf("VMULPS %s, %s, %s", b1, r(1), r(1)),   // b1*m
		fmt.Sprintf("VMULPS %s, %s, %s", c1, r(0), r(2)),   // c1*gv
		fmt.Sprintf("VADDPS %s, %s, %s", r(2), r(1), r(1)), // m
		fmt.Sprintf("VMOVUPS %s, (SI)(AX*1)", r(1)),
		fmt.Sprintf("VMOVUPS (DX)(AX*1), %s", r(3)),
		fmt.Sprintf("VMULPS %s, %s, %s", b2, r(3), r(3)),   // b2*v
		fmt.Sprintf("VMULPS %s, %s, %s", c2, r(0), r(4)),   // c2*gv
		fmt.Sprintf("VMULPS %s, %s, %s", r(0), r(4), r(4)), // (c2*gv)*gv
		fmt.Sprintf("VADDPS %s, %s, %s", r(4), r(3), r(3)), // v
		fmt.Sprintf("VMOVUPS %s, (DX)(AX*1)", r(3)),
		fmt.Sprintf("VSQRTPS %s, %s", r(3), r(5)),
		fmt.Sprintf("VMULPS %s, %s, %s", inv, r(5), r(5)),
		fmt.Sprintf("VADDPS %s, %s, %s", eps, r(5), r(5)),
		fmt.Sprintf("VMULPS %s, %s, %s", step, r(1), r(6)), // step*m
		fmt.Sprintf("VDIVPS %s, %s, %s", r(5), r(6), r(6)),
		fmt.Sprintf("VMOVUPS (DI)(AX*1), %s", r(7)),
		fmt.Sprintf("VSUBPS %s, %s, %s", r(6), r(7), r(7)),
		fmt.Sprintf("VMOVUPS %s, (DI)(AX*1)", r(7)),
	}
	for _, op := range ops {
		b.WriteString("\t" + op + "\n")
	}
	fmt.Fprintf(b, "\tADDQ $%d, AX\n\tDECQ CX\n\tJNZ loop\ndone:\n\tVZEROUPPER\n\tRET\n", 4*width)
}

func adamAVX512(b *bytes.Buffer) { adamX86(b, "adamAVX512", "Z", 16, "AVX512F") }

func adamAVX2(b *bytes.Buffer) { adamX86(b, "adamAVX2", "Y", 8, "AVX") }

// The NEON (ASIMD) kernels.
package main

import (
	"bytes"
	"fmt"
)

// Go's arm64 assembler lacks FMIN, FMAX and FCMGT on vectors; these emit
// them as WORDs (4S arrangement) with the mnemonic in a comment.
func neonWord(b *bytes.Buffer, base uint32, mnemonic string, d, n, m int) {
	fmt.Fprintf(b, "\tWORD $0x%08x // %s V%d.4S, V%d.4S, V%d.4S\n", base|uint32(m)<<16|uint32(n)<<5|uint32(d), mnemonic, d, n, m)
}

func fmin(b *bytes.Buffer, d, n, m int) { neonWord(b, 0x4ea0f400, "FMIN", d, n, m) }

func fmax(b *bytes.Buffer, d, n, m int) { neonWord(b, 0x4e20f400, "FMAX", d, n, m) }

func fcmgt(b *bytes.Buffer, d, n, m int) { neonWord(b, 0x6ea0e400, "FCMGT", d, n, m) }

func sgemmNEON(b *bytes.Buffer) {
	fmt.Fprintf(b, `// SGEMM micro-kernel, NEON (ASIMD). Tile %dx%d: C rows i=0..%d in V(2i), V(2i+1)
// (%d accumulators); B row in V16-V17; A broadcasts (LD1R) alternate V18/V19;
// V26-V31 serve the epilogue (alpha, beta, C row, result). Requires: ASIMD
// (always present on arm64).

//go:build !purego

#include "textflag.h"

`, neonMR, neonNV*4, neonMR-1, neonMR*neonNV)
	neonKernel(b, "sgemmKernelNEON", neonMR, neonNV, single)
}

func dgemmNEON(b *bytes.Buffer) {
	fmt.Fprintf(b, `// DGEMM micro-kernel, NEON (ASIMD). Tile %dx%d: C rows i=0..%d in V(2i), V(2i+1)
// (%d accumulators, two doubles each); B row in V16-V17; A broadcasts (LD1R)
// alternate V18/V19; V26-V31 serve the epilogue. Requires: ASIMD.

//go:build !purego

#include "textflag.h"

`, neonDMR, neonDNV*2, neonDMR-1, neonDMR*neonDNV)
	neonKernel(b, "dgemmKernelNEON", neonDMR, neonDNV, double)
}

// neonKernel writes the broadcast micro-kernel for NEON: mr rows of C, two
// Q vectors per row (nv must be 2: the loads and stores name V16-V17 and
// V30-V31).
func neonKernel(b *bytes.Buffer, name string, mr, nv int, pr precision) {
	nacc := mr * nv
	arr, fmov, ldr := "S4", "FMOVS", "MOVWU"
	if pr.size == 8 {
		arr, fmov, ldr = "D2", "FMOVD", "MOVD"
	}
	fmt.Fprintf(b, "// func %s(kc int, a *%s, aStride uintptr, b *%s, bStride uintptr, c *%s, ldc uintptr, alpha, beta %s)\n", name, pr.goType, pr.goType, pr.goType, pr.goType)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, %s\n", name, pr.frame)
	fmt.Fprintf(b, "\tMOVD kc+0(FP), R0\n\tMOVD a+8(FP), R1\n\tMOVD aStride+16(FP), R2\n\tMOVD b+24(FP), R3\n\tMOVD bStride+32(FP), R4\n\tMOVD c+40(FP), R5\n\tMOVD ldc+48(FP), R6\n\tSUB $%d, R2, R2\n", pr.size*mr)
	for i := 0; i < nacc; i++ {
		fmt.Fprintf(b, "\tVEOR V%d.B16, V%d.B16, V%d.B16\n", i, i, i)
	}
	fmt.Fprintf(b, "\tCBZ R0, epilogue\nloop:\n\tVLD1.P (R3)(R4), [V16.%s, V17.%s]\n", arr, arr)
	for i := 0; i < mr; i++ {
		bc := 18 + i%2
		fmt.Fprintf(b, "\tVLD1R.P %d(R1), [V%d.%s]\n", pr.size, bc, arr)
		for j := 0; j < nv; j++ {
			fmt.Fprintf(b, "\tVFMLA V%d.%s, V%d.%s, V%d.%s\n", 16+j, arr, bc, arr, i*nv+j, arr)
		}
	}
	b.WriteString("\tADD R2, R1, R1\n\tSUBS $1, R0, R0\n\tBNE loop\nepilogue:\n")
	lane := arr[:1]
	fmt.Fprintf(b, "\t%s alpha+%d(FP), F26\n\tVDUP V26.%s[0], V26.%s\n\t%s beta+%d(FP), F27\n\tVDUP V27.%s[0], V27.%s\n", fmov, pr.alpha, lane, arr, fmov, pr.beta, lane, arr)
	if pr.size == 8 {
		fmt.Fprintf(b, "\t%s beta+%d(FP), R7\n\tAND $0x7fffffffffffffff, R7, R7\n\tCBZ R7, nobeta\n", ldr, pr.beta)
	} else {
		fmt.Fprintf(b, "\t%s beta+%d(FP), R7\n\tAND $0x7fffffff, R7, R7\n\tCBZ R7, nobeta\n", ldr, pr.beta)
	}
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			b.WriteString("nobeta:\n")
		}
		for i := 0; i < mr; i++ {
			b.WriteString("\tVEOR V30.B16, V30.B16, V30.B16\n\tVEOR V31.B16, V31.B16, V31.B16\n")
			fmt.Fprintf(b, "\tVFMLA V26.%s, V%d.%s, V30.%s\n\tVFMLA V26.%s, V%d.%s, V31.%s\n", arr, i*nv, arr, arr, arr, i*nv+1, arr, arr)
			if pass == 0 {
				fmt.Fprintf(b, "\tVLD1 (R5), [V28.%s, V29.%s]\n\tVFMLA V27.%s, V28.%s, V30.%s\n\tVFMLA V27.%s, V29.%s, V31.%s\n", arr, arr, arr, arr, arr, arr, arr, arr)
			}
			fmt.Fprintf(b, "\tVST1 [V30.%s, V31.%s], (R5)\n\tADD R6, R5, R5\n", arr, arr)
		}
		b.WriteString("\tRET\n")
	}
}

func eluNEON(b *bytes.Buffer) {
	b.WriteString(`// ELU forward and backward, NEON (ASIMD), 4 floats a step; n must be a
// multiple of 4 (the Go wrapper finishes the tail with the generic code).
// Same algorithm as the x86 kernels, with round-to-nearest by the 1.5*2^23
// trick. Registers: V0-V7 work, V8-V25 constants. Requires: ASIMD.
// NaN propagates through FMIN/FMAX and the arithmetic; FCMGT picks x for x > 0.

//go:build !purego

#include "textflag.h"

`)
	// constants: V8 zero, V9 clamp, V10 log2e, V11 ln2hi, V12 ln2lo, V13..V19 c0..c6, V20 one, V21 bias, V22 magic, V23 alpha
	consts := []struct {
		reg  int
		bits uint32
	}{
		{9, f32bits(clamp)}, {10, f32bits(log2e)}, {11, f32bits(ln2hi)}, {12, f32bits(ln2lo)},
		{20, f32bits(1)}, {21, 127}, {22, f32bits(12582912)},
	}
	for i, c := range expm1Coeffs {
		consts = append(consts, struct {
			reg  int
			bits uint32
		}{13 + i, f32bits(c)})
	}
	load := func() {
		b.WriteString("\tVEOR V8.B16, V8.B16, V8.B16\n")
		for _, c := range consts {
			fmt.Fprintf(b, "\tMOVW $0x%08x, R7\n\tVDUP R7, V%d.S4\n", c.bits, c.reg)
		}
	}
	copyv := func(dst, src int) { fmt.Fprintf(b, "\tVORR V%d.B16, V%d.B16, V%d.B16\n", src, src, dst) }
	zero := func(r int) { fmt.Fprintf(b, "\tVEOR V%d.B16, V%d.B16, V%d.B16\n", r, r, r) }
	fma := func(d, n, m int) { fmt.Fprintf(b, "\tVFMLA V%d.S4, V%d.S4, V%d.S4\n", m, n, d) } // d += n*m
	fms := func(d, n, m int) { fmt.Fprintf(b, "\tVFMLS V%d.S4, V%d.S4, V%d.S4\n", m, n, d) } // d -= n*m

	b.WriteString("// func eluForwardNEON(y, x *float32, n int, alpha float32)\nTEXT ·eluForwardNEON(SB), NOSPLIT, $0-28\n")
	b.WriteString("\tMOVD y+0(FP), R0\n\tMOVD x+8(FP), R1\n\tMOVD n+16(FP), R2\n\tLSR $2, R2, R2\n")
	load()
	b.WriteString("\tFMOVS alpha+24(FP), F23\n\tVDUP V23.S[0], V23.S4\n\tCBZ R2, fdone\nfloop:\n\tVLD1.P 16(R1), [V0.S4]\n")
	fmin(b, 1, 0, 8) // z = min(x, 0)
	fmax(b, 1, 1, 9) // z = max(z, clamp)
	copyv(2, 22)     // t = magic
	fma(2, 1, 10)    // t = magic + z*log2e: rounded to an integer in the low mantissa bits
	copyv(3, 2)      // nf = t
	fms(3, 22, 20)   // nf = t - magic
	fms(1, 3, 11)    // r = z - nf*ln2hi
	fms(1, 3, 12)    // r -= nf*ln2lo
	copyv(4, 13)     // h = c0
	for i := 1; i < len(expm1Coeffs); i++ {
		copyv(5, 13+i)
		fma(5, 4, 1) // h' = c_i + h*r
		copyv(4, 5)
	}
	zero(5)
	fma(5, 4, 1)                                                                                          // em = h*r
	b.WriteString("\tVSUB V22.S4, V2.S4, V6.S4\n\tVADD V21.S4, V6.S4, V6.S4\n\tVSHL $23, V6.S4, V6.S4\n") // s = (n+127)<<23
	copyv(7, 6)
	fms(7, 20, 20) // s1 = s - 1
	fma(7, 6, 5)   // e1 = s1 + s*em
	zero(3)
	fma(3, 7, 23) // y = alpha*e1
	fcmgt(b, 4, 0, 8)
	b.WriteString("\tVBIT V4.B16, V0.B16, V3.B16\n\tVST1.P [V3.S4], 16(R0)\n\tSUBS $1, R2, R2\n\tBNE floop\nfdone:\n\tRET\n\n")

	b.WriteString(`// dx = dy * (1 if y > 0 else y + alpha)
// func eluBackwardNEON(dx, dy, y *float32, n int, alpha float32)
TEXT ·eluBackwardNEON(SB), NOSPLIT, $0-36
	MOVD dx+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD y+16(FP), R3
	MOVD n+24(FP), R2
	LSR $2, R2, R2
	VEOR V8.B16, V8.B16, V8.B16
	MOVW $0x3f800000, R7
	VDUP R7, V20.S4
	FMOVS alpha+32(FP), F23
	VDUP V23.S[0], V23.S4
	CBZ R2, bdone
bloop:
	VLD1.P 16(R3), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
`)
	copyv(2, 23)
	fma(2, 0, 20) // t = alpha + y
	fcmgt(b, 4, 0, 8)
	b.WriteString("\tVBIT V4.B16, V20.B16, V2.B16\n")
	zero(3)
	fma(3, 1, 2) // dx = dy*t
	b.WriteString("\tVST1.P [V3.S4], 16(R0)\n\tSUBS $1, R2, R2\n\tBNE bloop\nbdone:\n\tRET\n")
}

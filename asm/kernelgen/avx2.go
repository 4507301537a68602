// The AVX2+FMA kernels.
package main

import (
	"bytes"
	"fmt"
)

func sgemmAVX2(b *bytes.Buffer) {
	fmt.Fprintf(b, `// SGEMM micro-kernel, AVX2+FMA. Tile %dx%d: C rows i=0..%d in Y(2i), Y(2i+1)
// (%d accumulators); B row in Y%d-Y%d; A broadcasts alternate Y%d/Y%d, which the
// epilogue reuses for alpha and beta. Requires: AVX, AVX2, FMA3.

//go:build !purego

#include "textflag.h"

`, avx2MR, avx2NV*8, avx2MR-1, avx2MR*avx2NV, avx2MR*avx2NV, avx2MR*avx2NV+avx2NV-1,
		avx2MR*avx2NV+avx2NV, avx2MR*avx2NV+avx2NV+1)
	x86Kernel(b, "sgemmKernelAVX2", "Y", avx2MR, avx2NV, 8, single)
	b.WriteString("\n// The half-width tile, 6x8, for a last block of 8 columns.\n")
	x86Kernel(b, "sgemmHalfAVX2", "Y", avx2MR, avx2NV/2, 8, single)
	b.WriteString("\n// The full tile reading A's rows where they lie (no packed panel).\n")
	x86KernelA(b, "sgemmRowsAVX2", "Y", avx2MR, avx2NV, 8, single, true)
	b.WriteString("\n// The half-width tile, 6x8, reading A's rows where they lie.\n")
	x86KernelA(b, "sgemmRowsHalfAVX2", "Y", avx2MR, avx2NV/2, 8, single, true)
	b.WriteString("\n// Two rows over two panels, 2x32, reading A's rows where they lie: C rows in\n// Y0-Y3, Y4-Y7; B rows in Y8-Y11; broadcasts Y12/Y13.\n")
	x86KernelPair(b, "sgemmPairAVX2", "Y", 2, avx2NV, 8)
	b.WriteString("\n// The full tile over rows gathered from one array (a convolution's patches\n// in a padded image): row addresses in AX, BX, R8-R11; k offset in SI.\n")
	x86Gather(b, "sgemmGatherAVX2", "Y", avx2MR, avx2NV, 8)
}

func dgemmAVX2(b *bytes.Buffer) {
	mr, nv := avx2DMR, avx2DNV
	fmt.Fprintf(b, `// DGEMM micro-kernel, AVX2+FMA. Tile %dx%d: C rows i=0..%d in Y(%di)..Y(%di+%d)
// (%d accumulators); B row in Y%d-Y%d; A broadcasts alternate Y%d/Y%d, which the
// epilogue reuses for alpha and beta. Requires: AVX, AVX2, FMA3.

//go:build !purego

#include "textflag.h"

`, mr, nv*4, mr-1, nv, nv, nv-1, mr*nv, mr*nv, mr*nv+nv-1, mr*nv+nv, mr*nv+nv+1)
	x86Kernel(b, "dgemmKernelAVX2", "Y", mr, nv, 4, double)
	b.WriteString("\n// The half-width tile, 6x4, for a last block of 4 columns.\n")
	x86Kernel(b, "dgemmHalfAVX2", "Y", mr, nv/2, 4, double)
}

// sdotAVX2 is sdotAVX512 for AVX2: 8 floats a step, the k tail loaded with
// VMASKMOVPS under a mask taken from a table (no K registers here).
func sdotAVX2(b *bytes.Buffer) {
	b.WriteString(`// SGEMM small-n kernel, AVX2+FMA. Tile 2x4: C[i][j] = alpha*dot(A row i, Bt row j)
// + beta*C[i][j], rows contiguous in k, 8 floats a step, the k tail through
// VMASKMOVPS with the mask in Y15. Accumulators Y0-Y7 (row i, column j in
// Y(4i+j)); A rows in Y8-Y9; Bt rows in Y10-Y13; Y14 and X15/X12 (alpha,
// beta) in the reduction. Requires: AVX, AVX2, FMA3.

//go:build !purego

#include "textflag.h"

// Eight all-ones lanes then eight zero lanes: 32-4r bytes in, the first r
// lanes are set.
DATA dotmask<>+0(SB)/8, $-1
DATA dotmask<>+8(SB)/8, $-1
DATA dotmask<>+16(SB)/8, $-1
DATA dotmask<>+24(SB)/8, $-1
DATA dotmask<>+32(SB)/8, $0
DATA dotmask<>+40(SB)/8, $0
DATA dotmask<>+48(SB)/8, $0
DATA dotmask<>+56(SB)/8, $0
GLOBL dotmask<>(SB), RODATA|NOPTR, $64

`)
	sdotPrologue(b, "sdotKernelAVX2")
	for r := 0; r < 8; r++ {
		fmt.Fprintf(b, "\tVXORPS Y%d, Y%d, Y%d\n", r, r, r)
	}
	b.WriteString("\tXORQ AX, AX\n\tMOVQ CX, BX\n\tSHRQ $3, BX\n\tJZ tail\nloop:\n")
	body := func(masked bool) {
		load := func(base string, dst int) {
			if masked {
				fmt.Fprintf(b, "\tVMASKMOVPS (%s)(AX*1), Y15, Y%d\n", base, dst)
			} else {
				fmt.Fprintf(b, "\tVMOVUPS (%s)(AX*1), Y%d\n", base, dst)
			}
		}
		load("SI", 8)
		load("R9", 9)
		for j, base := range []string{"DI", "R11", "R12", "R13"} {
			load(base, 10+j)
			fmt.Fprintf(b, "\tVFMADD231PS Y%d, Y8, Y%d\n", 10+j, j)
			fmt.Fprintf(b, "\tVFMADD231PS Y%d, Y9, Y%d\n", 10+j, 4+j)
		}
	}
	body(false)
	b.WriteString("\tADDQ $32, AX\n\tDECQ BX\n\tJNZ loop\ntail:\n\tANDQ $7, CX\n\tJZ reduce\n")
	b.WriteString("\tSHLQ $2, CX\n\tNEGQ CX\n\tLEAQ dotmask<>+32(SB), DX\n\tADDQ CX, DX\n\tVMOVDQU (DX), Y15\n")
	body(true)
	b.WriteString("reduce:\n")
	for r := 0; r < 8; r++ {
		fmt.Fprintf(b, "\tVEXTRACTF128 $1, Y%d, X14\n\tVADDPS X14, X%d, X%d\n", r, r, r)
		fmt.Fprintf(b, "\tVHADDPS X%d, X%d, X%d\n\tVHADDPS X%d, X%d, X%d\n", r, r, r, r, r, r)
	}
	sdotEpilogue(b)
}

func eluAVX2(b *bytes.Buffer) {
	b.WriteString(`// ELU forward and backward, AVX2+FMA, 8 floats a step; n must be a multiple
// of 8 (the Go wrapper finishes the tail with the generic code).
// Registers: Y0-Y6 work, Y8-Y15 constants; the polynomial coefficients are
// memory operands (16 YMM registers do not hold them all). Requires: AVX,
// AVX2, FMA3.

//go:build !purego

#include "textflag.h"

`)
	// AVX2 has 16 registers: 15 constants + 7 working registers do not fit,
	// so the polynomial coefficients are memory operands from a constant table.
	cs := eluConsts()
	for i, c := range cs {
		val := "0"
		if c[1] != "0" {
			val = "0x" + c[1][3:]
			if c[0] == "bias" {
				val = "127"
			}
		}
		for lane := 0; lane < 8; lane++ {
			fmt.Fprintf(b, "DATA eluconst<>+%d(SB)/4, $%s\n", i*32+lane*4, val)
		}
	}
	fmt.Fprintf(b, "GLOBL eluconst<>(SB), RODATA|NOPTR, $%d\n\n", len(cs)*32)
	mem := func(name string) string {
		for i, c := range cs {
			if c[0] == name {
				return fmt.Sprintf("eluconst<>+%d(SB)", i*32)
			}
		}
		panic(name)
	}
	r := x86Regs{v: "Y", zero: "Y8", lo: "Y9", log2e: "Y10", hi: "Y11", lo2: "Y12", one: "Y13", bias: "Y14", alpha: "Y15"}
	for i := range expm1Coeffs {
		r.c = append(r.c, mem(fmt.Sprintf("c%d", i)))
	}
	b.WriteString("// func eluForwardAVX2(y, x *float32, n int, alpha float32)\nTEXT ·eluForwardAVX2(SB), NOSPLIT, $0-28\n")
	b.WriteString("\tMOVQ y+0(FP), DI\n\tMOVQ x+8(FP), SI\n\tMOVQ n+16(FP), CX\n")
	b.WriteString("\tVXORPS Y8, Y8, Y8\n")
	for _, p := range [][2]string{{"lo", "Y9"}, {"log2e", "Y10"}, {"hi", "Y11"}, {"lo2", "Y12"}, {"one", "Y13"}, {"bias", "Y14"}} {
		fmt.Fprintf(b, "\tVMOVUPS %s, %s\n", mem(p[0]), p[1])
	}
	b.WriteString("\tVBROADCASTSS alpha+24(FP), Y15\n\tSHRQ $3, CX\n\tJZ fdone\nfloop:\n\tVMOVUPS (SI), Y0\n")
	// The coefficient moves need a register source or memory: VMOVAPS from memory is VMOVUPS here.
	var body bytes.Buffer
	x86EluBody(&body, r, false)
	b.Write(bytes.ReplaceAll(body.Bytes(), []byte("VMOVAPS eluconst"), []byte("VMOVUPS eluconst")))
	b.WriteString("\tVCMPPS $0x16, Y8, Y0, Y6\n\tVBLENDVPS Y6, Y0, Y3, Y3\n\tVMOVUPS Y3, (DI)\n")
	b.WriteString("\tADDQ $32, SI\n\tADDQ $32, DI\n\tDECQ CX\n\tJNZ floop\nfdone:\n\tVZEROUPPER\n\tRET\n\n")
	b.WriteString(`// dx = dy * (1 if y > 0 else y + alpha)
// func eluBackwardAVX2(dx, dy, y *float32, n int, alpha float32)
TEXT ·eluBackwardAVX2(SB), NOSPLIT, $0-36
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y15
	VMOVUPS ` + mem("one") + `, Y13
	VXORPS Y8, Y8, Y8
	SHRQ $3, CX
	JZ bdone
bloop:
	VMOVUPS (DX), Y0
	VADDPS Y15, Y0, Y1
	VCMPPS $0x1e, Y8, Y0, Y2
	VBLENDVPS Y2, Y13, Y1, Y1
	VMULPS (SI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ bloop
bdone:
	VZEROUPPER
	RET
`)
}

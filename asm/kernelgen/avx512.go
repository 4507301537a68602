// The AVX-512F kernels.
package main

import (
	"bytes"
	"fmt"
)

func sgemmAVX512(b *bytes.Buffer) {
	fmt.Fprintf(b, `// SGEMM micro-kernel, AVX-512F. Tile %dx%d: C rows i=0..%d in Z(2i), Z(2i+1)
// (%d accumulators); B row in Z%d-Z%d; A broadcasts alternate Z%d/Z%d, which the
// epilogue reuses for alpha and beta. Requires: AVX512F (dispatch checks it
// together with the OS's ZMM state support).

//go:build !purego

#include "textflag.h"

`, avx512MR, avx512NV*16, avx512MR-1, avx512MR*avx512NV, avx512MR*avx512NV, avx512MR*avx512NV+avx512NV-1,
		avx512MR*avx512NV+avx512NV, avx512MR*avx512NV+avx512NV+1)
	x86Kernel(b, "sgemmKernelAVX512", "Z", avx512MR, avx512NV, 16, single)
	b.WriteString("\n// The half-width tile, 8x16, for a last block of 16 columns.\n")
	x86Kernel(b, "sgemmHalfAVX512", "Z", avx512MR, avx512NV/2, 16, single)
	b.WriteString("\n// The full tile reading A's rows where they lie (no packed panel).\n")
	x86KernelA(b, "sgemmRowsAVX512", "Z", avx512MR, avx512NV, 16, single, true)
	b.WriteString("\n// The half-width tile, 8x16, reading A's rows where they lie.\n")
	x86KernelA(b, "sgemmRowsHalfAVX512", "Z", avx512MR, avx512NV/2, 16, single, true)
	b.WriteString("\n// Two rows over two panels, 2x64, reading A's rows where they lie: C rows in\n// Z0-Z3, Z4-Z7; B rows in Z8-Z11; broadcasts Z12/Z13.\n")
	x86KernelPair(b, "sgemmPairAVX512", "Z", 2, avx512NV, 16)
	b.WriteString("\n// The full tile over rows gathered from one array (a convolution's patches\n// in a padded image): row addresses in AX, BX, R8-R13; k offset in SI.\n")
	x86Gather(b, "sgemmGatherAVX512", "Z", avx512MR, avx512NV, 16)
}

func dgemmAVX512(b *bytes.Buffer) {
	mr, nv := avx512DMR, avx512DNV
	fmt.Fprintf(b, `// DGEMM micro-kernel, AVX-512F. Tile %dx%d: C rows i=0..%d in Z(%di)..Z(%di+%d)
// (%d accumulators); B row in Z%d-Z%d; A broadcasts alternate Z%d/Z%d, which the
// epilogue reuses for alpha and beta. Requires: AVX512F.

//go:build !purego

#include "textflag.h"

`, mr, nv*8, mr-1, nv, nv, nv-1, mr*nv, mr*nv, mr*nv+nv-1, mr*nv+nv, mr*nv+nv+1)
	x86Kernel(b, "dgemmKernelAVX512", "Z", mr, nv, 8, double)
	b.WriteString("\n// The half-width tile, 8x8, for a last block of 8 columns.\n")
	x86Kernel(b, "dgemmHalfAVX512", "Z", mr, nv/2, 8, double)
}

// sdotAVX512 writes the small-n kernel: a 2x4 tile of C as dot products of
// two rows of A with four rows of B^T, both contiguous in k. It serves
// products with few columns (an MLP's 10-class output layer), where packing
// A for the broadcast kernel would cost more than the product.
func sdotAVX512(b *bytes.Buffer) {
	b.WriteString(`// SGEMM small-n kernel, AVX-512F. Tile 2x4: C[i][j] = alpha*dot(A row i, Bt row j)
// + beta*C[i][j], rows contiguous in k, 16 floats a step, the k tail under
// mask K1. Accumulators Z0-Z7 (row i, column j in Z(4i+j)); A rows in Z8-Z9;
// Bt rows in Z10-Z13; Z14 and X15/X12 (alpha, beta) in the reduction.
// Requires: AVX512F.

//go:build !purego

#include "textflag.h"

`)
	sdotPrologue(b, "sdotKernelAVX512")
	for r := 0; r < 8; r++ {
		fmt.Fprintf(b, "\tVPXORD Z%d, Z%d, Z%d\n", r, r, r)
	}
	b.WriteString("\tXORQ AX, AX\n\tMOVQ CX, BX\n\tSHRQ $4, BX\n\tJZ tail\nloop:\n")
	body := func(mask string) {
		fmt.Fprintf(b, "\tVMOVUPS%s (SI)(AX*1), %sZ8\n", mask, kreg(mask))
		fmt.Fprintf(b, "\tVMOVUPS%s (R9)(AX*1), %sZ9\n", mask, kreg(mask))
		for j, base := range []string{"DI", "R11", "R12", "R13"} {
			fmt.Fprintf(b, "\tVMOVUPS%s (%s)(AX*1), %sZ%d\n", mask, base, kreg(mask), 10+j)
			fmt.Fprintf(b, "\tVFMADD231PS Z%d, Z8, Z%d\n", 10+j, j)
			fmt.Fprintf(b, "\tVFMADD231PS Z%d, Z9, Z%d\n", 10+j, 4+j)
		}
	}
	body("")
	b.WriteString("\tADDQ $64, AX\n\tDECQ BX\n\tJNZ loop\ntail:\n\tANDQ $15, CX\n\tJZ reduce\n")
	b.WriteString("\tMOVL $1, DX\n\tSHLL CX, DX\n\tDECL DX\n\tKMOVW DX, K1\n")
	body(".Z")
	b.WriteString("reduce:\n")
	for r := 0; r < 8; r++ {
		fmt.Fprintf(b, "\tVEXTRACTF64X4 $1, Z%d, Y14\n\tVADDPS Y14, Y%d, Y%d\n", r, r, r)
		fmt.Fprintf(b, "\tVEXTRACTF128 $1, Y%d, X14\n\tVADDPS X14, X%d, X%d\n", r, r, r)
		fmt.Fprintf(b, "\tVHADDPS X%d, X%d, X%d\n\tVHADDPS X%d, X%d, X%d\n", r, r, r, r, r, r)
	}
	sdotEpilogue(b)
}

func eluAVX512(b *bytes.Buffer) {
	b.WriteString(`// ELU forward and backward, AVX-512F, 16 floats a step; the last partial
// vector uses a K2 load/store mask, so every n is handled here.
// Registers: Z0-Z5 work, Z8-Z22 constants, Z23 alpha, Z24 1.0 (backward).
// Requires: AVX512F.

//go:build !purego

#include "textflag.h"

// func eluForwardAVX512(y, x *float32, n int, alpha float32)
TEXT ·eluForwardAVX512(SB), NOSPLIT, $0-28
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
`)
	r := loadConsts(b, "Z", 8, true)
	r.alpha = "Z23"
	b.WriteString("\tVBROADCASTSS alpha+24(FP), Z23\n")
	b.WriteString("\tCMPQ CX, $16\n\tJLT ftail\nfloop:\n\tVMOVUPS (SI), Z0\n")
	x86EluBody(b, r, true)
	fmt.Fprintf(b, "\tVCMPPS $0x16, %s, Z0, K1\n\tVMOVAPS Z0, K1, Z3\n\tVMOVUPS Z3, (DI)\n", r.zero)
	b.WriteString("\tADDQ $64, SI\n\tADDQ $64, DI\n\tSUBQ $16, CX\n\tCMPQ CX, $16\n\tJGE floop\nftail:\n")
	b.WriteString("\tTESTQ CX, CX\n\tJZ fdone\n\tMOVL $1, AX\n\tSHLL CX, AX\n\tDECL AX\n\tKMOVW AX, K2\n\tVMOVUPS.Z (SI), K2, Z0\n")
	x86EluBody(b, r, true)
	fmt.Fprintf(b, "\tVCMPPS $0x16, %s, Z0, K1\n\tVMOVAPS Z0, K1, Z3\n\tVMOVUPS Z3, K2, (DI)\n", r.zero)
	b.WriteString("fdone:\n\tVZEROUPPER\n\tRET\n\n")

	b.WriteString(`// dx = dy * (1 if y > 0 else y + alpha): for alpha > 0, y > 0 exactly when x > 0.
// func eluBackwardAVX512(dx, dy, y *float32, n int, alpha float32)
TEXT ·eluBackwardAVX512(SB), NOSPLIT, $0-36
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Z23
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z24
	VPXORD Z8, Z8, Z8
	CMPQ CX, $16
	JLT btail
bloop:
	VMOVUPS (DX), Z0
	VADDPS Z23, Z0, Z1
	VCMPPS $0x1e, Z8, Z0, K1
	VMOVAPS Z24, K1, Z1
	VMULPS (SI), Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $16, CX
	CMPQ CX, $16
	JGE bloop
btail:
	TESTQ CX, CX
	JZ bdone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z (SI), K2, Z2
	VADDPS Z23, Z0, Z1
	VCMPPS $0x1e, Z8, Z0, K1
	VMOVAPS Z24, K1, Z1
	VMULPS Z2, Z1, Z1
	VMOVUPS Z1, K2, (DI)
bdone:
	VZEROUPPER
	RET
`)
}

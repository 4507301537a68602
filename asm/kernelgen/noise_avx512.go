package main

import (
	"bytes"
	"fmt"
)

// The AVX-512 noise kernels, 16 blocks (64 values) a loop:
//
//	func normalAVX512(dst *float32, groups, first int, key uint64, stream uint32, ctr uint64)
//	func noisyStepAVX512(x, g *float32, groups, first int, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64)
//
// first is the group index the call starts at (block 16*first). Registers:
// Z16 lane numbers, Z17 the groups's first block, Z18 sixteen, Z19 the
// stream, Z20/Z21 the counter's halves, Z10/Z11 the key, Z6/Z7 the key of
// the current round, Z4/Z5 the multipliers, Z8/Z9 the key increments; the
// counter words rotate through Z0-Z3 and Z12-Z15; Box-Muller uses Z22-Z31;
// K1 selects the odd dwords.
func noiseAVX512(b *bytes.Buffer) {
	b.WriteString(`// Gaussian noise, AVX-512F: Philox4x32-10 with 16 counters in the lanes of
// a ZMM register, then Box-Muller (Cephes's float32 logf, sinf, cosf); see
// kernels/normal.go, the reference. Requires: AVX512F.

//go:build !purego

#include "textflag.h"

`)
	c := noiseConsts(b, 16)

	setup := func(firstOff, keyOff, streamOff, ctrOff int) {
		fmt.Fprintf(b, "\tMOVQ first+%d(FP), AX\n\tSHLQ $4, AX\n\tVPBROADCASTD AX, Z17\n", firstOff)
		b.WriteString("\tVMOVDQU32 noiselanes<>(SB), Z16\n\tMOVL $16, AX\n\tVPBROADCASTD AX, Z18\n")
		fmt.Fprintf(b, "\tMOVQ key+%d(FP), AX\n\tVPBROADCASTD AX, Z10\n\tSHRQ $32, AX\n\tVPBROADCASTD AX, Z11\n", keyOff)
		fmt.Fprintf(b, "\tMOVL stream+%d(FP), AX\n\tVPBROADCASTD AX, Z19\n", streamOff)
		fmt.Fprintf(b, "\tMOVQ ctr+%d(FP), AX\n\tVPBROADCASTD AX, Z20\n\tSHRQ $32, AX\n\tVPBROADCASTD AX, Z21\n", ctrOff)
		fmt.Fprintf(b, "\tVPBROADCASTD %s, Z4\n\tVPBROADCASTD %s, Z5\n\tVPBROADCASTD %s, Z8\n\tVPBROADCASTD %s, Z9\n",
			c("m0"), c("m1"), c("w0"), c("w1"))
		b.WriteString("\tMOVL $0xAAAA, AX\n\tKMOVW AX, K1\n")
	}

	// group computes one group's 64 values into the returned registers
	// (component 0..3).
	group := func() [4]string {
		reg := func(i int) string { return fmt.Sprintf("Z%d", i) }
		cw := [4]string{"Z0", "Z1", "Z2", "Z3"}
		free := []string{"Z12", "Z13", "Z14", "Z15"}
		fmt.Fprintf(b, "\tVPADDD Z16, Z17, %s\n\tVMOVDQA32 Z19, %s\n\tVMOVDQA32 Z20, %s\n\tVMOVDQA32 Z21, %s\n", cw[0], cw[1], cw[2], cw[3])
		b.WriteString("\tVMOVDQA32 Z10, Z6\n\tVMOVDQA32 Z11, Z7\n")
		// mulhilo multiplies the dwords of src by m: lo and hi halves of
		// the 64-bit products, each in its dword's lane. It uses t as
		// scratch and writes lo and hi.
		mulhilo := func(src, m, lo, hi, t string) {
			fmt.Fprintf(b, "\tVPMULUDQ %s, %s, %s\n", m, src, hi) // even dwords' products
			fmt.Fprintf(b, "\tVPSRLQ $32, %s, %s\n", src, t)
			fmt.Fprintf(b, "\tVPMULUDQ %s, %s, %s\n", m, t, t) // odd dwords' products
			fmt.Fprintf(b, "\tVPSLLQ $32, %s, %s\n", t, lo)
			fmt.Fprintf(b, "\tVPBLENDMD %s, %s, K1, %s\n", lo, hi, lo) // lo: even from the even products, odd shifted up
			fmt.Fprintf(b, "\tVPSRLQ $32, %s, %s\n", hi, hi)
			fmt.Fprintf(b, "\tVPBLENDMD %s, %s, K1, %s\n", t, hi, hi) // hi: even shifted down, odd from the odd products
		}
		for range 10 {
			lo0, hi0, lo1, hi1 := free[0], free[1], free[2], free[3]
			// The old C0 and C2 serve as scratch once multiplied.
			mulhilo(cw[0], "Z4", lo0, hi0, cw[0])
			mulhilo(cw[2], "Z5", lo1, hi1, cw[2])
			fmt.Fprintf(b, "\tVPTERNLOGD $0x96, Z6, %s, %s\n", cw[1], hi1) // C0' = hi1 ^ C1 ^ k0
			fmt.Fprintf(b, "\tVPTERNLOGD $0x96, Z7, %s, %s\n", cw[3], hi0) // C2' = hi0 ^ C3 ^ k1
			free = []string{cw[0], cw[1], cw[2], cw[3]}
			cw = [4]string{hi1, lo1, hi0, lo0}
			b.WriteString("\tVPADDD Z8, Z6, Z6\n\tVPADDD Z9, Z7, Z7\n")
		}
		for _, r := range cw { // the uniforms: (bits>>8)*2^-24 + 2^-25
			fmt.Fprintf(b, "\tVPSRLD $8, %s, %s\n\tVCVTDQ2PS %s, %s\n\tVMULPS.BCST %s, %s, %s\n\tVADDPS.BCST %s, %s, %s\n",
				r, r, r, r, c("scale"), r, r, c("half"), r, r)
		}
		t := func(i int) string { return reg(22 + i) }
		// boxMuller turns uniforms ua, ub into r*cos in ua and r*sin in ub.
		boxMuller := func(ua, ub string) {
			// ln ua (into T0): ua = m*2^e, m in [sqrt(1/2), sqrt(2)).
			fmt.Fprintf(b, "\tVPSRLD $23, %s, %s\n\tVPSUBD.BCST %s, %s, %s\n", ua, t(1), c("bias"), t(1), t(1))
			fmt.Fprintf(b, "\tVPANDD.BCST %s, %s, %s\n\tVPORD.BCST %s, %s, %s\n", c("mantmask"), ua, t(2), c("halfexp"), t(2), t(2))
			fmt.Fprintf(b, "\tVBROADCASTSS %s, %s\n\tVCMPPS $1, %s, %s, K2\n", c("sqrthalf"), t(3), t(3), t(2))
			fmt.Fprintf(b, "\tVADDPS %s, %s, K2, %s\n\tVPSUBD.BCST %s, %s, K2, %s\n", t(2), t(2), t(2), c("onei"), t(1), t(1))
			fmt.Fprintf(b, "\tVCVTDQ2PS %s, %s\n\tVSUBPS.BCST %s, %s, %s\n\tVMULPS %s, %s, %s\n", t(1), t(1), c("one"), t(2), t(2), t(2), t(2), t(3))
			fmt.Fprintf(b, "\tVBROADCASTSS %s, %s\n", c("log0"), t(4))
			for i := 1; i < len(noiseLog); i++ {
				fmt.Fprintf(b, "\tVFMADD213PS.BCST %s, %s, %s\n", c(fmt.Sprintf("log%d", i)), t(2), t(4))
			}
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n", t(3), t(2), t(5), t(4), t(5), t(5)) // y = x*z*p
			fmt.Fprintf(b, "\tVFMADD231PS.BCST %s, %s, %s\n\tVFMADD231PS.BCST %s, %s, %s\n", c("ln2lo"), t(1), t(5), c("mhalf"), t(3), t(5))
			fmt.Fprintf(b, "\tVADDPS %s, %s, %s\n\tVFMADD231PS.BCST %s, %s, %s\n", t(5), t(2), t(0), c("ln2hi"), t(1), t(0))
			fmt.Fprintf(b, "\tVMULPS.BCST %s, %s, %s\n\tVSQRTPS %s, %s\n", c("mtwo"), t(0), t(0), t(0), t(0)) // r
			// sin and cos of 2*pi*ub: quarter turns q, rest a.
			fmt.Fprintf(b, "\tVMULPS.BCST %s, %s, %s\n\tVRNDSCALEPS $0, %s, %s\n", c("four"), ub, t(1), t(1), t(2))
			fmt.Fprintf(b, "\tVSUBPS %s, %s, %s\n\tVMULPS.BCST %s, %s, %s\n\tVMULPS %s, %s, %s\n", t(2), t(1), t(3), c("halfpi"), t(3), t(3), t(3), t(3), t(4))
			fmt.Fprintf(b, "\tVBROADCASTSS %s, %s\n\tVFMADD213PS.BCST %s, %s, %s\n\tVFMADD213PS.BCST %s, %s, %s\n", c("sin0"), t(5), c("sin1"), t(4), t(5), c("sin2"), t(4), t(5))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVFMADD213PS %s, %s, %s\n", t(4), t(5), t(5), t(3), t(3), t(5)) // s = (p*z)*a + a
			fmt.Fprintf(b, "\tVBROADCASTSS %s, %s\n\tVFMADD213PS.BCST %s, %s, %s\n\tVFMADD213PS.BCST %s, %s, %s\n", c("cos0"), t(6), c("cos1"), t(4), t(6), c("cos2"), t(4), t(6))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n\tVFMADD231PS.BCST %s, %s, %s\n\tVADDPS.BCST %s, %s, %s\n",
				t(4), t(6), t(6), t(4), t(6), t(6), c("mhalf"), t(4), t(6), c("one"), t(6), t(6)) // c = p*z*z - z/2 + 1
			fmt.Fprintf(b, "\tVCVTPS2DQ %s, %s\n\tVPTESTMD.BCST %s, %s, K3\n", t(2), t(7), c("onei"), t(7))
			fmt.Fprintf(b, "\tVBLENDMPS %s, %s, K3, %s\n\tVBLENDMPS %s, %s, K3, %s\n", t(6), t(5), t(8), t(5), t(6), t(9)) // odd q swaps
			fmt.Fprintf(b, "\tVPANDD.BCST %s, %s, %s\n\tVPSLLD $30, %s, %s\n\tVPXORD %s, %s, %s\n", c("twoi"), t(7), t(1), t(1), t(1), t(1), t(8), t(8))
			fmt.Fprintf(b, "\tVPADDD.BCST %s, %s, %s\n\tVPANDD.BCST %s, %s, %s\n\tVPSLLD $30, %s, %s\n\tVPXORD %s, %s, %s\n",
				c("onei"), t(7), t(2), c("twoi"), t(2), t(2), t(2), t(2), t(2), t(9), t(9))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n", t(9), t(0), ua, t(8), t(0), ub)
		}
		boxMuller(cw[0], cw[1])
		boxMuller(cw[2], cw[3])
		return cw
	}

	b.WriteString("// func normalAVX512(dst *float32, groups int, first int, key uint64, stream uint32, ctr uint64)\n")
	b.WriteString("TEXT ·normalAVX512(SB), NOSPLIT, $0-48\n\tMOVQ dst+0(FP), DI\n\tMOVQ groups+8(FP), CX\n")
	setup(16, 24, 32, 40)
	b.WriteString("\tTESTQ CX, CX\n\tJZ ndone\nnloop:\n")
	out := group()
	for k, r := range out {
		fmt.Fprintf(b, "\tVMOVUPS %s, %d(DI)\n", r, 64*k)
	}
	b.WriteString("\tVPADDD Z18, Z17, Z17\n\tADDQ $256, DI\n\tDECQ CX\n\tJNZ nloop\nndone:\n\tVZEROUPPER\n\tRET\n\n")

	b.WriteString(`// x = min(max(x - alpha*g + sigma*n, lo), hi), n the values normalAVX512
// draws; max and min take x second, so NaN stays NaN as in Go.
// func noisyStepAVX512(x, grad *float32, groups int, first int, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64)
TEXT ·noisyStepAVX512(SB), NOSPLIT, $0-72
	MOVQ x+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ groups+16(FP), CX
`)
	setup(24, 48, 56, 64)
	b.WriteString("\tTESTQ CX, CX\n\tJZ sdone\nsloop:\n")
	out = group()
	b.WriteString("\tVBROADCASTSS alpha+32(FP), Z22\n\tVBROADCASTSS sigma+36(FP), Z23\n\tVBROADCASTSS lo+40(FP), Z24\n\tVBROADCASTSS hi+44(FP), Z25\n")
	for k, r := range out {
		fmt.Fprintf(b, "\tVMOVUPS %d(DI), Z26\n\tVMOVUPS %d(SI), Z27\n", 64*k, 64*k)
		fmt.Fprintf(b, "\tVFNMADD231PS Z22, Z27, Z26\n\tVFMADD231PS Z23, %s, Z26\n", r)
		fmt.Fprintf(b, "\tVMAXPS Z26, Z24, Z26\n\tVMINPS Z26, Z25, Z26\n\tVMOVUPS Z26, %d(DI)\n", 64*k)
	}
	b.WriteString("\tVPADDD Z18, Z17, Z17\n\tADDQ $256, DI\n\tADDQ $256, SI\n\tDECQ CX\n\tJNZ sloop\nsdone:\n\tVZEROUPPER\n\tRET\n")
}

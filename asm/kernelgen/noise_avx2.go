package main

import (
	"bytes"
	"fmt"
)

// The AVX2 noise kernels: the AVX-512 ones (noise_avx512.go) with 8 lanes,
// a group of 16 blocks in two halves. With 16 YMM registers the constants
// are memory operands of a table holding each eight times, the counter,
// stream and key are broadcast from the arguments (through VMOVQ: a legacy
// SSE MOVQ among AVX code made Intel cores draw 13x fewer normals), and
// blends take masks in registers or immediates.
func noiseAVX2(b *bytes.Buffer) {
	b.WriteString(`// Gaussian noise, AVX2+FMA: Philox4x32-10 with 8 counters in the lanes of a
// YMM register, then Box-Muller (Cephes's float32 logf, sinf, cosf); see
// kernels/normal.go, the reference. Requires: AVX, AVX2, FMA3.

//go:build !purego

#include "textflag.h"

`)
	t := noiseTable()
	at := map[string]int{}
	for i, e := range t {
		for lane := range 8 {
			fmt.Fprintf(b, "DATA noiseconst8<>+%d(SB)/4, $0x%08x\n", 32*i+4*lane, e[1])
		}
		at[e[0].(string)] = 32 * i
	}
	fmt.Fprintf(b, "GLOBL noiseconst8<>(SB), RODATA|NOPTR, $%d\n\n", 32*len(t))
	for l := range 8 {
		fmt.Fprintf(b, "DATA noiselanes8<>+%d(SB)/4, $%d\n", 4*l, l)
	}
	b.WriteString("GLOBL noiselanes8<>(SB), RODATA|NOPTR, $32\n\n")
	c := func(name string) string {
		off, ok := at[name]
		if !ok {
			panic(name)
		}
		return fmt.Sprintf("noiseconst8<>+%d(SB)", off)
	}

	// half computes blocks 16g+8h .. 16g+8h+7 (Y10 holds their first
	// block) and returns the registers of the 4 components and the free
	// registers left.
	half := func(keyOff, streamOff, ctrOff int) ([4]string, []string) {
		cw := [4]string{"Y0", "Y1", "Y2", "Y3"}
		free := []string{"Y4", "Y5", "Y6", "Y7"}
		// bcast broadcasts the low 32 bits of AX into the YMM register y.
		bcast := func(y string) { fmt.Fprintf(b, "\tVMOVQ AX, X%s\n\tVPBROADCASTD X%s, %s\n", y[1:], y[1:], y) }
		fmt.Fprintf(b, "\tVPADDD noiselanes8<>(SB), Y10, %s\n\tMOVL stream+%d(FP), AX\n", cw[0], streamOff)
		bcast(cw[1])
		fmt.Fprintf(b, "\tMOVQ ctr+%d(FP), AX\n", ctrOff)
		bcast(cw[2])
		b.WriteString("\tSHRQ $32, AX\n")
		bcast(cw[3])
		fmt.Fprintf(b, "\tMOVQ key+%d(FP), AX\n", keyOff)
		bcast("Y8")
		b.WriteString("\tSHRQ $32, AX\n")
		bcast("Y9")
		mulhilo := func(src, m, lo, hi, tmp string) {
			fmt.Fprintf(b, "\tVPMULUDQ %s, %s, %s\n", m, src, hi)
			fmt.Fprintf(b, "\tVPSRLQ $32, %s, %s\n", src, tmp)
			fmt.Fprintf(b, "\tVPMULUDQ %s, %s, %s\n", m, tmp, tmp)
			fmt.Fprintf(b, "\tVPSLLQ $32, %s, %s\n", tmp, lo)
			fmt.Fprintf(b, "\tVPBLENDD $0xAA, %s, %s, %s\n", lo, hi, lo)
			fmt.Fprintf(b, "\tVPSRLQ $32, %s, %s\n", hi, hi)
			fmt.Fprintf(b, "\tVPBLENDD $0xAA, %s, %s, %s\n", tmp, hi, hi)
		}
		for range 10 {
			lo0, hi0, lo1, hi1 := free[0], free[1], free[2], free[3]
			mulhilo(cw[0], c("m0"), lo0, hi0, cw[0])
			mulhilo(cw[2], c("m1"), lo1, hi1, cw[2])
			fmt.Fprintf(b, "\tVPXOR %s, %s, %s\n\tVPXOR Y8, %s, %s\n", cw[1], hi1, hi1, hi1, hi1)
			fmt.Fprintf(b, "\tVPXOR %s, %s, %s\n\tVPXOR Y9, %s, %s\n", cw[3], hi0, hi0, hi0, hi0)
			free = []string{cw[0], cw[1], cw[2], cw[3]}
			cw = [4]string{hi1, lo1, hi0, lo0}
			fmt.Fprintf(b, "\tVPADDD %s, Y8, Y8\n\tVPADDD %s, Y9, Y9\n", c("w0"), c("w1"))
		}
		for _, r := range cw {
			fmt.Fprintf(b, "\tVPSRLD $8, %s, %s\n\tVCVTDQ2PS %s, %s\n\tVMULPS %s, %s, %s\n\tVADDPS %s, %s, %s\n",
				r, r, r, r, c("scale"), r, r, c("half"), r, r)
		}
		free = append(free, "Y8", "Y9", "Y11", "Y12", "Y13", "Y14", "Y15")
		tt := func(i int) string { return free[i] }
		boxMuller := func(ua, ub string) {
			fmt.Fprintf(b, "\tVPSRLD $23, %s, %s\n\tVPSUBD %s, %s, %s\n", ua, tt(1), c("bias"), tt(1), tt(1))
			fmt.Fprintf(b, "\tVPAND %s, %s, %s\n\tVPOR %s, %s, %s\n", c("mantmask"), ua, tt(2), c("halfexp"), tt(2), tt(2))
			fmt.Fprintf(b, "\tVCMPPS $1, %s, %s, %s\n", c("sqrthalf"), tt(2), tt(3))
			fmt.Fprintf(b, "\tVANDPS %s, %s, %s\n\tVADDPS %s, %s, %s\n", tt(3), tt(2), tt(4), tt(4), tt(2), tt(2))
			fmt.Fprintf(b, "\tVPAND %s, %s, %s\n\tVPSUBD %s, %s, %s\n", c("onei"), tt(3), tt(4), tt(4), tt(1), tt(1))
			fmt.Fprintf(b, "\tVCVTDQ2PS %s, %s\n\tVSUBPS %s, %s, %s\n\tVMULPS %s, %s, %s\n", tt(1), tt(1), c("one"), tt(2), tt(2), tt(2), tt(2), tt(3))
			fmt.Fprintf(b, "\tVMOVUPS %s, %s\n", c("log0"), tt(4))
			for i := 1; i < len(noiseLog); i++ {
				fmt.Fprintf(b, "\tVFMADD213PS %s, %s, %s\n", c(fmt.Sprintf("log%d", i)), tt(2), tt(4))
			}
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n", tt(3), tt(2), tt(5), tt(4), tt(5), tt(5))
			fmt.Fprintf(b, "\tVFMADD231PS %s, %s, %s\n\tVFMADD231PS %s, %s, %s\n", c("ln2lo"), tt(1), tt(5), c("mhalf"), tt(3), tt(5))
			fmt.Fprintf(b, "\tVADDPS %s, %s, %s\n\tVFMADD231PS %s, %s, %s\n", tt(5), tt(2), tt(0), c("ln2hi"), tt(1), tt(0))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVSQRTPS %s, %s\n", c("mtwo"), tt(0), tt(0), tt(0), tt(0))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVROUNDPS $0, %s, %s\n", c("four"), ub, tt(1), tt(1), tt(2))
			fmt.Fprintf(b, "\tVSUBPS %s, %s, %s\n\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n", tt(2), tt(1), tt(3), c("halfpi"), tt(3), tt(3), tt(3), tt(3), tt(4))
			fmt.Fprintf(b, "\tVMOVUPS %s, %s\n\tVFMADD213PS %s, %s, %s\n\tVFMADD213PS %s, %s, %s\n", c("sin0"), tt(5), c("sin1"), tt(4), tt(5), c("sin2"), tt(4), tt(5))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVFMADD213PS %s, %s, %s\n", tt(4), tt(5), tt(5), tt(3), tt(3), tt(5))
			fmt.Fprintf(b, "\tVMOVUPS %s, %s\n\tVFMADD213PS %s, %s, %s\n\tVFMADD213PS %s, %s, %s\n", c("cos0"), tt(6), c("cos1"), tt(4), tt(6), c("cos2"), tt(4), tt(6))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n\tVFMADD231PS %s, %s, %s\n\tVADDPS %s, %s, %s\n",
				tt(4), tt(6), tt(6), tt(4), tt(6), tt(6), c("mhalf"), tt(4), tt(6), c("one"), tt(6), tt(6))
			fmt.Fprintf(b, "\tVCVTPS2DQ %s, %s\n\tVPAND %s, %s, %s\n\tVPCMPEQD %s, %s, %s\n", tt(2), tt(7), c("onei"), tt(7), tt(8), c("onei"), tt(8), tt(8))
			fmt.Fprintf(b, "\tVBLENDVPS %s, %s, %s, %s\n\tVBLENDVPS %s, %s, %s, %s\n", tt(8), tt(6), tt(5), tt(9), tt(8), tt(5), tt(6), tt(6))
			fmt.Fprintf(b, "\tVPAND %s, %s, %s\n\tVPSLLD $30, %s, %s\n\tVPXOR %s, %s, %s\n", c("twoi"), tt(7), tt(1), tt(1), tt(1), tt(1), tt(9), tt(9))
			fmt.Fprintf(b, "\tVPADDD %s, %s, %s\n\tVPAND %s, %s, %s\n\tVPSLLD $30, %s, %s\n\tVPXOR %s, %s, %s\n",
				c("onei"), tt(7), tt(2), c("twoi"), tt(2), tt(2), tt(2), tt(2), tt(2), tt(6), tt(6))
			fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n\tVMULPS %s, %s, %s\n", tt(6), tt(0), ua, tt(9), tt(0), ub)
		}
		boxMuller(cw[0], cw[1])
		boxMuller(cw[2], cw[3])
		return cw, free
	}
	first := func(off int) {
		fmt.Fprintf(b, "\tMOVQ first+%d(FP), AX\n\tSHLQ $4, AX\n\tVMOVQ AX, X10\n\tVPBROADCASTD X10, Y10\n", off)
	}
	next := "\tMOVL $8, AX\n\tVMOVQ AX, X11\n\tVPBROADCASTD X11, Y11\n\tVPADDD Y11, Y10, Y10\n"

	b.WriteString("// func normalAVX2(dst *float32, groups int, first int, key uint64, stream uint32, ctr uint64)\n")
	b.WriteString("TEXT ·normalAVX2(SB), NOSPLIT, $0-48\n\tMOVQ dst+0(FP), DI\n\tMOVQ groups+8(FP), CX\n")
	first(16)
	b.WriteString("\tTESTQ CX, CX\n\tJZ ndone\nnloop:\n")
	for h := range 2 {
		out, _ := half(24, 32, 40)
		for k, r := range out {
			fmt.Fprintf(b, "\tVMOVUPS %s, %d(DI)\n", r, 64*k+32*h)
		}
		b.WriteString(next)
	}
	b.WriteString("\tADDQ $256, DI\n\tDECQ CX\n\tJNZ nloop\nndone:\n\tVZEROUPPER\n\tRET\n\n")

	b.WriteString(`// x = min(max(x - alpha*g + sigma*n, lo), hi), n the values normalAVX2
// draws; max and min take x second, so NaN stays NaN as in Go.
// func noisyStepAVX2(x, grad *float32, groups int, first int, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64)
TEXT ·noisyStepAVX2(SB), NOSPLIT, $0-72
	MOVQ x+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ groups+16(FP), CX
`)
	first(24)
	b.WriteString("\tTESTQ CX, CX\n\tJZ sdone\nsloop:\n")
	for h := range 2 {
		out, free := half(48, 56, 64)
		a, s, lo, hi, x, g := free[0], free[1], free[2], free[3], free[4], free[5]
		fmt.Fprintf(b, "\tVBROADCASTSS alpha+32(FP), %s\n\tVBROADCASTSS sigma+36(FP), %s\n\tVBROADCASTSS lo+40(FP), %s\n\tVBROADCASTSS hi+44(FP), %s\n", a, s, lo, hi)
		for k, r := range out {
			off := 64*k + 32*h
			fmt.Fprintf(b, "\tVMOVUPS %d(DI), %s\n\tVMOVUPS %d(SI), %s\n", off, x, off, g)
			fmt.Fprintf(b, "\tVFNMADD231PS %s, %s, %s\n\tVFMADD231PS %s, %s, %s\n", a, g, x, s, r, x)
			fmt.Fprintf(b, "\tVMAXPS %s, %s, %s\n\tVMINPS %s, %s, %s\n\tVMOVUPS %s, %d(DI)\n", x, lo, x, x, hi, x, x, off)
		}
		b.WriteString(next)
	}
	b.WriteString("\tADDQ $256, DI\n\tADDQ $256, SI\n\tDECQ CX\n\tJNZ sloop\nsdone:\n\tVZEROUPPER\n\tRET\n")
}

package main

import (
	"bytes"
	"fmt"
)

// The NEON noise kernels: the AVX-512 ones (noise_avx512.go) with 4 lanes, a
// group of 16 blocks in quarters. Philox's 32x32->64-bit products come from
// UMULL/UMULL2, and UZP1/UZP2 split their low and high halves. Go's arm64
// assembler lacks most floating-point vector instructions, so they are
// written as WORDs (4S arrangement, Q=1) with the mnemonic in a comment;
// the constants are loaded with LD1R from the table as they are needed.
//
// Registers: V20/V21 the key, V22 the stream, V23/V24 the counter's halves,
// V25 the quarter's block numbers, V26 four, V27/V28 the key increments,
// V29/V30 the multipliers; Philox's words rotate through V0-V7 with V8/V9
// as scratch and V10/V11 the round's key; Box-Muller takes what is free.
func noiseNEON(b *bytes.Buffer) {
	b.WriteString(`// Gaussian noise, NEON (ASIMD): Philox4x32-10 with 4 counters in the lanes
// of a Q register, then Box-Muller (Cephes's float32 logf, sinf, cosf); see
// kernels/normal.go, the reference. Requires: ASIMD (always on arm64).

//go:build !purego

#include "textflag.h"

`)
	c := noiseConstsNEON(b)
	v := func(i int) string { return fmt.Sprintf("V%d", i) }
	word := func(enc uint32, text string) { fmt.Fprintf(b, "\tWORD $0x%08x // %s\n", enc, text) }
	op3 := func(base uint32, name string, d, n, m int) {
		word(base|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("%s V%d.4S, V%d.4S, V%d.4S", name, d, n, m))
	}
	op2 := func(base uint32, name string, d, n int) {
		word(base|uint32(n)<<5|uint32(d), fmt.Sprintf("%s V%d.4S, V%d.4S", name, d, n))
	}
	fadd := func(d, n, m int) { op3(0x4e20d400, "FADD", d, n, m) }
	fsub := func(d, n, m int) { op3(0x4ea0d400, "FSUB", d, n, m) }
	fmul := func(d, n, m int) { op3(0x6e20dc00, "FMUL", d, n, m) }
	fmla := func(d, n, m int) { op3(0x4e20cc00, "FMLA", d, n, m) } // d += n*m
	fmls := func(d, n, m int) { op3(0x4ea0cc00, "FMLS", d, n, m) } // d -= n*m
	and := func(d, n, m int) { op3(0x4e201c00, "AND", d, n, m) }
	orr := func(d, n, m int) { op3(0x4ea01c00, "ORR", d, n, m) }
	eor := func(d, n, m int) { op3(0x6e201c00, "EOR", d, n, m) }
	bsl := func(d, n, m int) { op3(0x6e601c00, "BSL", d, n, m) } // d = d ? n : m, bitwise
	add := func(d, n, m int) { op3(0x4ea08400, "ADD", d, n, m) }
	sub := func(d, n, m int) { op3(0x6ea08400, "SUB", d, n, m) }
	cmeq := func(d, n, m int) { op3(0x6ea08c00, "CMEQ", d, n, m) }
	fcmgt := func(d, n, m int) { op3(0x6ea0e400, "FCMGT", d, n, m) }
	fmax := func(d, n, m int) { op3(0x4e20f400, "FMAX", d, n, m) }
	fmin := func(d, n, m int) { op3(0x4ea0f400, "FMIN", d, n, m) }
	uzp1 := func(d, n, m int) { op3(0x4e801800, "UZP1", d, n, m) }
	uzp2 := func(d, n, m int) { op3(0x4e805800, "UZP2", d, n, m) }
	umull := func(d, n, m int) {
		word(0x2ea0c000|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("UMULL V%d.2D, V%d.2S, V%d.2S", d, n, m))
	}
	umull2 := func(d, n, m int) {
		word(0x6ea0c000|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("UMULL2 V%d.2D, V%d.4S, V%d.4S", d, n, m))
	}
	fsqrt := func(d, n int) { op2(0x6ea1f800, "FSQRT", d, n) }
	scvtf := func(d, n int) { op2(0x4e21d800, "SCVTF", d, n) }
	fcvtns := func(d, n int) { op2(0x4e21a800, "FCVTNS", d, n) }
	frintn := func(d, n int) { op2(0x4e218800, "FRINTN", d, n) }
	ushr := func(d, n, sh int) {
		word(0x6f000400|uint32(64-sh)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("USHR V%d.4S, V%d.4S, #%d", d, n, sh))
	}
	shl := func(d, n, sh int) {
		word(0x4f005400|uint32(32+sh)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("SHL V%d.4S, V%d.4S, #%d", d, n, sh))
	}
	mov := func(d, n int) { orr(d, n, n) }
	load := func(d int, name string) { fmt.Fprintf(b, "\tADD $%d, R10, R11\n\tVLD1R (R11), [V%d.S4]\n", c(name), d) }

	setup := func(firstOff, keyOff, streamOff, ctrOff int) {
		b.WriteString("\tMOVD $noiseconst<>(SB), R10\n")
		fmt.Fprintf(b, "\tMOVD key+%d(FP), R12\n\tVDUP R12, V20.S4\n\tLSR $32, R12, R12\n\tVDUP R12, V21.S4\n", keyOff)
		fmt.Fprintf(b, "\tMOVWU stream+%d(FP), R12\n\tVDUP R12, V22.S4\n", streamOff)
		fmt.Fprintf(b, "\tMOVD ctr+%d(FP), R12\n\tVDUP R12, V23.S4\n\tLSR $32, R12, R12\n\tVDUP R12, V24.S4\n", ctrOff)
		fmt.Fprintf(b, "\tMOVD first+%d(FP), R12\n\tLSL $4, R12, R12\n\tVDUP R12, V25.S4\n", firstOff)
		b.WriteString("\tMOVD $noiselanes<>(SB), R11\n\tVLD1 (R11), [V26.S4]\n")
		add(25, 25, 26) // the first quarter's blocks: first*16 + 0..3
		b.WriteString("\tMOVW $4, R12\n\tVDUP R12, V26.S4\n")
		load(27, "w0")
		load(28, "w1")
		load(29, "m0")
		load(30, "m1")
	}

	// quarter computes 4 blocks' 16 values; it returns the registers of
	// the 4 components.
	quarter := func() [4]int {
		cw := [4]int{0, 1, 2, 3}
		free := []int{4, 5, 6, 7}
		mov(cw[0], 25)
		mov(cw[1], 22)
		mov(cw[2], 23)
		mov(cw[3], 24)
		mov(10, 20)
		mov(11, 21)
		mulhilo := func(src, m, lo, hi int) {
			umull(8, src, m)
			umull2(9, src, m)
			uzp1(lo, 8, 9)
			uzp2(hi, 8, 9)
		}
		for range 10 {
			lo0, hi0, lo1, hi1 := free[0], free[1], free[2], free[3]
			mulhilo(cw[0], 29, lo0, hi0)
			mulhilo(cw[2], 30, lo1, hi1)
			eor(hi1, hi1, cw[1])
			eor(hi1, hi1, 10)
			eor(hi0, hi0, cw[3])
			eor(hi0, hi0, 11)
			free = []int{cw[0], cw[1], cw[2], cw[3]}
			cw = [4]int{hi1, lo1, hi0, lo0}
			add(10, 10, 27)
			add(11, 11, 28)
		}
		free = append(free, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 31)
		t := func(i int) int { return free[i] }
		ts := t(10) // scratch for constants
		for _, r := range cw {
			ushr(r, r, 8)
			scvtf(r, r)
			load(ts, "scale")
			fmul(r, r, ts)
			load(ts, "half")
			fadd(r, r, ts)
		}
		boxMuller := func(ua, ub int) {
			ushr(t(1), ua, 23)
			load(ts, "bias")
			sub(t(1), t(1), ts)
			load(ts, "mantmask")
			and(t(2), ua, ts)
			load(ts, "halfexp")
			orr(t(2), t(2), ts)
			load(ts, "sqrthalf")
			fcmgt(t(3), ts, t(2)) // m < sqrt(1/2)
			and(t(4), t(3), t(2))
			fadd(t(2), t(2), t(4))
			load(ts, "onei")
			and(t(4), t(3), ts)
			sub(t(1), t(1), t(4))
			scvtf(t(1), t(1))
			load(ts, "one")
			fsub(t(2), t(2), ts)   // x
			fmul(t(3), t(2), t(2)) // z
			load(t(4), "log0")
			for i := 1; i < len(noiseLog); i++ {
				load(t(5), fmt.Sprintf("log%d", i))
				fmla(t(5), t(4), t(2))
				mov(t(4), t(5))
			}
			fmul(t(5), t(3), t(2))
			fmul(t(5), t(5), t(4)) // y = x*z*p
			load(ts, "ln2lo")
			fmla(t(5), t(1), ts)
			load(ts, "mhalf")
			fmla(t(5), t(3), ts)
			fadd(t(0), t(2), t(5))
			load(ts, "ln2hi")
			fmla(t(0), t(1), ts)
			load(ts, "mtwo")
			fmul(t(0), t(0), ts)
			fsqrt(t(0), t(0)) // r
			load(ts, "four")
			fmul(t(1), ub, ts)
			frintn(t(2), t(1))
			fsub(t(3), t(1), t(2))
			load(ts, "halfpi")
			fmul(t(3), t(3), ts) // a
			fmul(t(4), t(3), t(3))
			load(t(5), "sin0")
			load(t(6), "sin1")
			fmla(t(6), t(5), t(4))
			load(t(5), "sin2")
			fmla(t(5), t(6), t(4))
			fmul(t(5), t(5), t(4))
			mov(t(6), t(3))
			fmla(t(6), t(5), t(3)) // s = a + p*z*a
			load(t(7), "cos0")
			load(t(8), "cos1")
			fmla(t(8), t(7), t(4))
			load(t(7), "cos2")
			fmla(t(7), t(8), t(4))
			fmul(t(7), t(7), t(4))
			fmul(t(7), t(7), t(4))
			load(ts, "mhalf")
			fmla(t(7), t(4), ts)
			load(ts, "one")
			fadd(t(7), t(7), ts) // c
			fcvtns(t(8), t(2))   // q
			load(ts, "onei")
			and(t(9), t(8), ts)
			cmeq(t(9), t(9), ts) // q odd
			mov(t(1), t(9))
			bsl(t(9), t(7), t(6)) // sin out: odd q takes c
			bsl(t(1), t(6), t(7)) // cos out: odd q takes s
			load(ts, "twoi")
			and(t(2), t(8), ts)
			shl(t(2), t(2), 30)
			eor(t(9), t(9), t(2))
			load(ts, "onei")
			add(t(3), t(8), ts)
			load(ts, "twoi")
			and(t(3), t(3), ts)
			shl(t(3), t(3), 30)
			eor(t(1), t(1), t(3))
			fmul(ua, t(1), t(0))
			fmul(ub, t(9), t(0))
		}
		boxMuller(cw[0], cw[1])
		boxMuller(cw[2], cw[3])
		return cw
	}

	b.WriteString("// func normalNEON(dst *float32, groups int, first int, key uint64, stream uint32, ctr uint64)\n")
	b.WriteString("TEXT ·normalNEON(SB), NOSPLIT, $0-48\n\tMOVD dst+0(FP), R0\n\tMOVD groups+8(FP), R2\n")
	setup(16, 24, 32, 40)
	b.WriteString("\tCBZ R2, ndone\nnloop:\n")
	for q := range 4 {
		out := quarter()
		for k, r := range out {
			fmt.Fprintf(b, "\tADD $%d, R0, R11\n\tVST1 [%s.S4], (R11)\n", 64*k+16*q, v(r))
		}
		add(25, 25, 26)
	}
	b.WriteString("\tADD $256, R0, R0\n\tSUBS $1, R2, R2\n\tBNE nloop\nndone:\n\tRET\n\n")

	b.WriteString(`// x = min(max(x - alpha*g + sigma*n, lo), hi), n the values normalNEON
// draws; FMAX and FMIN keep NaN, as Go's max and min do.
// func noisyStepNEON(x, grad *float32, groups int, first int, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64)
TEXT ·noisyStepNEON(SB), NOSPLIT, $0-72
	MOVD x+0(FP), R0
	MOVD grad+8(FP), R1
	MOVD groups+16(FP), R2
`)
	setup(24, 48, 56, 64)
	b.WriteString("\tCBZ R2, sdone\nsloop:\n")
	for q := range 4 {
		out := quarter()
		// The update's registers: what Box-Muller no longer needs.
		b.WriteString("\tFMOVS alpha+32(FP), F12\n\tVDUP V12.S[0], V12.S4\n\tFMOVS sigma+36(FP), F13\n\tVDUP V13.S[0], V13.S4\n")
		b.WriteString("\tFMOVS lo+40(FP), F14\n\tVDUP V14.S[0], V14.S4\n\tFMOVS hi+44(FP), F15\n\tVDUP V15.S[0], V15.S4\n")
		for k, r := range out {
			off := 64*k + 16*q
			fmt.Fprintf(b, "\tADD $%d, R0, R11\n\tADD $%d, R1, R12\n\tVLD1 (R11), [V16.S4]\n\tVLD1 (R12), [V17.S4]\n", off, off)
			fmls(16, 17, 12) // x -= g*alpha
			fmla(16, r, 13)  // x += n*sigma
			fmax(16, 14, 16)
			fmin(16, 15, 16)
			b.WriteString("\tVST1 [V16.S4], (R11)\n")
		}
		add(25, 25, 26)
	}
	b.WriteString("\tADD $256, R0, R0\n\tADD $256, R1, R1\n\tSUBS $1, R2, R2\n\tBNE sloop\nsdone:\n\tRET\n")
}

// noiseConstsNEON writes the constant table and the lane numbers 0..3 and
// returns the byte offset of a constant.
func noiseConstsNEON(b *bytes.Buffer) func(string) int {
	t := noiseTable()
	at := map[string]int{}
	for i, e := range t {
		fmt.Fprintf(b, "DATA noiseconst<>+%d(SB)/4, $0x%08x\n", 4*i, e[1])
		at[e[0].(string)] = 4 * i
	}
	fmt.Fprintf(b, "GLOBL noiseconst<>(SB), RODATA|NOPTR, $%d\n\n", 4*len(t))
	for l := range 4 {
		fmt.Fprintf(b, "DATA noiselanes<>+%d(SB)/4, $%d\n", 4*l, l)
	}
	b.WriteString("GLOBL noiselanes<>(SB), RODATA|NOPTR, $16\n\n")
	return func(name string) int {
		off, ok := at[name]
		if !ok {
			panic(name)
		}
		return off
	}
}

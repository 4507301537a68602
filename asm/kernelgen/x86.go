// What the AVX-512 and AVX2 kernels share: the GEMM micro-kernel writer,
// the ELU body and constants, and the dot kernels' prologue and epilogue.
package main

import (
	"bytes"
	"fmt"
)

// xorOp zeroes a register: VXORPS on ZMM would need AVX512DQ, VPXORD is AVX512F.
func xorOp(reg string) string {
	if reg == "Z" {
		return "VPXORD"
	}
	return "VXORPS"
}

// The micro-kernel contract, identical for every ISA and both precisions
// (E is float32 for SGEMM, float64 for DGEMM):
//
//	func k(kc int, a *E, aStride uintptr, b *E, bStride uintptr,
//	       c *E, ldc uintptr, alpha, beta E)
//
// For p in [0,kc): the MR values of A's column p are a[p*aStride + size*i]
// (bytes), the NR values of B's row p are b[p*bStride + size*j]. Then
// C[i][j] = alpha*acc + beta*C[i][j], rows ldc bytes apart; beta == +-0
// means C is not read (BLAS semantics: NaN in C does not leak).
const (
	sgemmArgs = "$0-64"
	dgemmArgs = "$0-72"
)

// A precision is what changes between the SGEMM and DGEMM kernels: the
// element size, the instruction suffixes and where alpha and beta sit in the
// argument frame.
type precision struct {
	goType     string
	size       int    // bytes per element
	ps         string // packed arithmetic suffix: PS or PD
	bcast      string // broadcast of one element from memory
	alpha      int    // frame offsets of alpha and beta
	beta       int
	frame      string
	zeroTestOp string // sets ZF when beta is +-0, from beta's bits in AX
}

var (
	single = precision{"float32", 4, "PS", "VBROADCASTSS", 56, 60, sgemmArgs,
		"\tMOVL beta+60(FP), AX\n\tTESTL $0x7fffffff, AX\n"}
	double = precision{"float64", 8, "PD", "VBROADCASTSD", 56, 64, dgemmArgs,
		"\tMOVQ beta+64(FP), AX\n\tSHLQ $1, AX\n"}
)

// x86Kernel writes the broadcast micro-kernel: mr rows of C, nv vectors of
// width lanes each per row, in registers of letter reg (Y or Z).
func x86Kernel(b *bytes.Buffer, name, reg string, mr, nv, width int, pr precision) {
	x86KernelA(b, name, reg, mr, nv, width, pr, false)
}

// x86KernelA is x86Kernel; with rowsA the kernel reads A where it lies in
// a row-major matrix instead of from a packed panel: A's element (i, p) is
// at a + i*aStride + p*size, so the broadcasts come from mr rows (rows 0-3
// from SI, rows 4-7 from BX, through the strides in R12 = aStride and
// R13 = 3*aStride) and each k step moves one element along them.
func x86KernelA(b *bytes.Buffer, name, reg string, mr, nv, width int, pr precision, rowsA bool) {
	x86Tile(b, name, reg, mr, nv, width, pr, rowsA, 1)
}

// x86KernelPair is the rows kernel over two panels of B at once: the tile
// is mr x 2*NR, and B's row p is NR values at b + p*bStride then NR at
// b + next + p*bStride (next, a last argument, in bytes). A tile of few
// rows keeps as many accumulators busy as the full tile this way: the
// rows past a shard's last full tile (32 = 5*6 + 2 on AVX2). SGEMM only.
func x86KernelPair(b *bytes.Buffer, name, reg string, mr, nv, width int) {
	x86Tile(b, name, reg, mr, nv, width, single, true, 2)
}

// prefetchRows: the rows kernel touches B's row p+prefetchRows (AX =
// prefetchRows*bStride) while it multiplies row p. With few rows of A,
// a layer's packed weights stream from L3 once per product, and the first
// row tile of each panel waited on them: in ebm bench's iteration this
// took AVX-512 from 47-50 to 42-44 ms (16, 24 and 64 rows did no better;
// bench/README.md).
const prefetchRows = 32

// pairFrame is the SGEMM frame with next: 8 more bytes.
const pairFrame = "$0-72"

func x86Tile(b *bytes.Buffer, name, reg string, mr, nv, width int, pr precision, rowsA bool, panels int) {
	cols := nv * panels // vectors of C's row
	nr := cols * width
	nacc := mr * cols
	breg := func(j int) string { return fmt.Sprintf("%s%d", reg, nacc+j) }
	bc := func(i int) string { return fmt.Sprintf("%s%d", reg, nacc+cols+i%2) }
	acc := func(i, j int) string { return fmt.Sprintf("%s%d", reg, i*cols+j) }
	vbytes := width * pr.size
	mov := "VMOVUP" + pr.ps[1:]

	sig, frame := "", pr.frame
	if panels == 2 {
		sig, frame = ", next uintptr", pairFrame
	}
	fmt.Fprintf(b, "// func %s(kc int, a *%s, aStride uintptr, b *%s, bStride uintptr, c *%s, ldc uintptr, alpha, beta %s%s)\n", name, pr.goType, pr.goType, pr.goType, pr.goType, sig)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, %s\n", name, frame)
	b.WriteString("\tMOVQ kc+0(FP), CX\n\tMOVQ a+8(FP), SI\n\tMOVQ aStride+16(FP), R8\n\tMOVQ b+24(FP), DI\n\tMOVQ bStride+32(FP), R9\n\tMOVQ c+40(FP), DX\n\tMOVQ ldc+48(FP), R10\n")
	if panels == 2 {
		// AX until the epilogue, which reads beta's bits into it.
		b.WriteString("\tMOVQ next+64(FP), AX\n")
	}
	if rowsA && panels == 1 {
		fmt.Fprintf(b, "\tIMUL3Q $%d, R9, AX\n", prefetchRows)
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < cols; j++ {
			fmt.Fprintf(b, "\t%s %s, %s, %s\n", xorOp(reg), acc(i, j), acc(i, j), acc(i, j))
		}
	}
	// Touch the C tile early so its lines arrive while the loop runs.
	b.WriteString("\tMOVQ DX, R11\n")
	for i := 0; i < mr; i++ {
		b.WriteString("\tPREFETCHT0 (R11)\n")
		if nr*pr.size > 64 {
			fmt.Fprintf(b, "\tPREFETCHT0 %d(R11)\n", nr*pr.size-pr.size)
		}
		b.WriteString("\tADDQ R10, R11\n")
	}
	b.WriteString("\tTESTQ CX, CX\n\tJZ epilogue\n\nloop:\n")
	for j := 0; j < cols; j++ {
		if j < nv {
			fmt.Fprintf(b, "\t%s %d(DI), %s\n", mov, j*vbytes, breg(j))
		} else {
			fmt.Fprintf(b, "\t%s %d(DI)(AX*1), %s\n", mov, (j-nv)*vbytes, breg(j))
		}
	}
	aAddr := func(i int) string { return fmt.Sprintf("%d(SI)", pr.size*i) }
	if rowsA {
		b.WriteString("\tMOVQ R8, R12\n\tLEAQ (R8)(R8*2), R13\n\tLEAQ (SI)(R8*4), BX\n")
		aAddr = func(i int) string {
			return [...]string{"(SI)", "(SI)(R12*1)", "(SI)(R12*2)", "(SI)(R13*1)", "(BX)", "(BX)(R12*1)", "(BX)(R12*2)", "(BX)(R13*1)"}[i]
		}
	}
	for i := 0; i < mr; i++ {
		fmt.Fprintf(b, "\t%s %s, %s\n", pr.bcast, aAddr(i), bc(i))
		for j := 0; j < cols; j++ {
			fmt.Fprintf(b, "\tVFMADD231%s %s, %s, %s\n", pr.ps, breg(j), bc(i), acc(i, j))
		}
	}
	if rowsA {
		fmt.Fprintf(b, "\tADDQ $%d, SI\n\tADDQ $%d, BX\n", pr.size, pr.size)
	} else {
		b.WriteString("\tADDQ R8, SI\n")
	}
	if rowsA && panels == 1 {
		for off := 0; off < nr*pr.size; off += 64 {
			fmt.Fprintf(b, "\tPREFETCHT0 %d(DI)(AX*1)\n", off)
		}
	}
	b.WriteString("\tADDQ R9, DI\n\tDECQ CX\n\tJNZ loop\n\nepilogue:\n")
	x86Store(b, mr, cols, vbytes, pr, bc(0), bc(1), acc)
}

// x86Store writes a kernel's epilogue: the mr x cols accumulators to C at
// DX, rows R10 bytes apart, as C = alpha*acc + beta*C, or alpha*acc
// without reading C when beta is +-0; alpha and beta are broadcast into
// the registers named (free by then).
func x86Store(b *bytes.Buffer, mr, cols, vbytes int, pr precision, alpha, beta string, acc func(i, j int) string) {
	mov := "VMOVUP" + pr.ps[1:]
	fmt.Fprintf(b, "\t%s alpha+%d(FP), %s\n\t%s beta+%d(FP), %s\n", pr.bcast, pr.alpha, alpha, pr.bcast, pr.beta, beta)
	b.WriteString(pr.zeroTestOp + "\tJZ nobeta\n")
	for i := 0; i < mr; i++ {
		for j := 0; j < cols; j++ {
			fmt.Fprintf(b, "\tVMUL%s %s, %s, %s\n", pr.ps, alpha, acc(i, j), acc(i, j))
			fmt.Fprintf(b, "\tVFMADD231%s %d(DX), %s, %s\n", pr.ps, j*vbytes, beta, acc(i, j))
			fmt.Fprintf(b, "\t%s %s, %d(DX)\n", mov, acc(i, j), j*vbytes)
		}
		b.WriteString("\tADDQ R10, DX\n")
	}
	b.WriteString("\tVZEROUPPER\n\tRET\n\nnobeta:\n")
	for i := 0; i < mr; i++ {
		for j := 0; j < cols; j++ {
			fmt.Fprintf(b, "\tVMUL%s %s, %s, %s\n", pr.ps, alpha, acc(i, j), acc(i, j))
			fmt.Fprintf(b, "\t%s %s, %d(DX)\n", mov, acc(i, j), j*vbytes)
		}
		b.WriteString("\tADDQ R10, DX\n")
	}
	b.WriteString("\tVZEROUPPER\n\tRET\n")
}

// gathered is the frame of the gather kernel (SGEMM only):
//
//	func k(kc int, a *float32, offs *int, left, run int, skip uintptr,
//	       b *float32, c *float32, ldc uintptr, alpha, beta float32)
var gathered = precision{"float32", 4, "PS", "VBROADCASTSS", 72, 76, "$0-80",
	"\tMOVL beta+76(FP), AX\n\tTESTL $0x7fffffff, AX\n"}

// gatherRows are the registers holding the gather kernel's row addresses;
// AX, which reads offs, takes its own row last.
var gatherRows = []string{"BX", "R8", "R9", "R10", "R11", "R12", "R13"}

// x86Gather writes the gather kernel: the rows kernel over a packed panel
// of B (rows NR values apart) whose A rows lie anywhere in one array: row
// i starts at a + offs[i] (bytes), and along k it runs left elements, then
// skips skip bytes, then runs run elements before each further skip. That
// is a convolution's patch in a zero-padded image, read where it lies
// (one kernel row's K*C values, then a jump to the next image row), so no
// im2col copy is made. Each element sums its products in k order, as the
// rows kernel does: the same bits as the product with the patches copied.
func x86Gather(b *bytes.Buffer, name, reg string, mr, nv, width int) {
	pr := gathered
	cols := nv
	nacc := mr * cols
	breg := func(j int) string { return fmt.Sprintf("%s%d", reg, nacc+j) }
	bc := func(i int) string { return fmt.Sprintf("%s%d", reg, nacc+cols+i%2) }
	acc := func(i, j int) string { return fmt.Sprintf("%s%d", reg, i*cols+j) }
	vbytes := width * pr.size
	rows := append(append([]string{}, gatherRows[:mr-1]...), "AX")
	fmt.Fprintf(b, "// func %s(kc int, a *float32, offs *int, left, run int, skip uintptr, b *float32, c *float32, ldc uintptr, alpha, beta float32)\n", name)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, %s\n", name, pr.frame)
	b.WriteString("\tMOVQ kc+0(FP), CX\n\tMOVQ a+8(FP), SI\n\tMOVQ offs+16(FP), AX\n")
	for i, r := range rows {
		fmt.Fprintf(b, "\tMOVQ %d(AX), %s\n\tADDQ SI, %s\n", 8*i, r, r)
	}
	b.WriteString("\tMOVQ left+24(FP), DX\n\tMOVQ b+48(FP), DI\n\tXORQ SI, SI\n")
	for i := 0; i < mr; i++ {
		for j := 0; j < cols; j++ {
			fmt.Fprintf(b, "\t%s %s, %s, %s\n", xorOp(reg), acc(i, j), acc(i, j), acc(i, j))
		}
	}
	b.WriteString("\tTESTQ CX, CX\n\tJZ epilogue\n\nloop:\n")
	for j := 0; j < cols; j++ {
		fmt.Fprintf(b, "\tVMOVUPS %d(DI), %s\n", j*vbytes, breg(j))
	}
	for i, r := range rows {
		fmt.Fprintf(b, "\t%s (%s)(SI*1), %s\n", pr.bcast, r, bc(i))
		for j := 0; j < cols; j++ {
			fmt.Fprintf(b, "\tVFMADD231%s %s, %s, %s\n", pr.ps, breg(j), bc(i), acc(i, j))
		}
	}
	fmt.Fprintf(b, "\tADDQ $%d, SI\n\tADDQ $%d, DI\n", pr.size, cols*vbytes)
	b.WriteString("\tDECQ CX\n\tJZ epilogue\n\tDECQ DX\n\tJNZ loop\n")
	b.WriteString("\tADDQ skip+40(FP), SI\n\tMOVQ run+32(FP), DX\n\tJMP loop\n\nepilogue:\n")
	b.WriteString("\tMOVQ c+56(FP), DX\n\tMOVQ ldc+64(FP), R10\n")
	x86Store(b, mr, cols, vbytes, pr, bc(0), bc(1), acc)
}

// ELU forward, one vector: in x register X0 holds x; the result is in X3.
// e^z - 1 = 2^n*expm1(r) + (2^n - 1) with z = clamp(min(x,0)), n = round(z/ln2),
// r = z - n*ln2: exact where n = 0, so small negative inputs keep full
// relative precision.
type x86Regs struct {
	v     string // register letter
	zero  string
	lo    string
	log2e string
	hi    string
	lo2   string
	c     []string
	one   string
	bias  string
	alpha string
}

func x86EluBody(b *bytes.Buffer, r x86Regs, avx512 bool) {
	v := func(n int) string { return fmt.Sprintf("%s%d", r.v, n) }
	fmt.Fprintf(b, "\tVMINPS %s, %s, %s\n", r.zero, v(0), v(1))
	fmt.Fprintf(b, "\tVMAXPS %s, %s, %s\n", r.lo, v(1), v(1))
	fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n", r.log2e, v(1), v(2))
	if avx512 {
		fmt.Fprintf(b, "\tVRNDSCALEPS $0, %s, %s\n", v(2), v(2))
	} else {
		fmt.Fprintf(b, "\tVROUNDPS $0, %s, %s\n", v(2), v(2))
	}
	fmt.Fprintf(b, "\tVFNMADD231PS %s, %s, %s\n", r.hi, v(2), v(1))
	fmt.Fprintf(b, "\tVFNMADD231PS %s, %s, %s\n", r.lo2, v(2), v(1))
	fmt.Fprintf(b, "\tVMOVAPS %s, %s\n", r.c[0], v(3))
	for _, c := range r.c[1:] {
		fmt.Fprintf(b, "\tVFMADD213PS %s, %s, %s\n", c, v(1), v(3))
	}
	fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n", v(1), v(3), v(3))
	fmt.Fprintf(b, "\tVCVTPS2DQ %s, %s\n", v(2), v(4))
	fmt.Fprintf(b, "\tVPADDD %s, %s, %s\n", r.bias, v(4), v(4))
	fmt.Fprintf(b, "\tVPSLLD $23, %s, %s\n", v(4), v(4))
	fmt.Fprintf(b, "\tVSUBPS %s, %s, %s\n", r.one, v(4), v(5))
	fmt.Fprintf(b, "\tVFMADD213PS %s, %s, %s\n", v(5), v(4), v(3))
	fmt.Fprintf(b, "\tVMULPS %s, %s, %s\n", r.alpha, v(3), v(3))
}

func eluConsts() [][2]string {
	cs := [][2]string{
		{"zero", "0"}, {"lo", fmt.Sprintf("$0x%08x", f32bits(clamp))},
		{"log2e", fmt.Sprintf("$0x%08x", f32bits(log2e))}, {"hi", fmt.Sprintf("$0x%08x", f32bits(ln2hi))},
		{"lo2", fmt.Sprintf("$0x%08x", f32bits(ln2lo))},
	}
	for i, c := range expm1Coeffs {
		cs = append(cs, [2]string{fmt.Sprintf("c%d", i), fmt.Sprintf("$0x%08x", f32bits(c))})
	}
	cs = append(cs, [2]string{"one", fmt.Sprintf("$0x%08x", f32bits(1))}, [2]string{"bias", "$127"})
	return cs
}

// loadConsts broadcasts the ELU constants into registers base, base+1, ...
func loadConsts(b *bytes.Buffer, reg string, base int, avx512 bool) x86Regs {
	r := x86Regs{v: reg}
	for i, c := range eluConsts() {
		dst := fmt.Sprintf("%s%d", reg, base+i)
		if c[1] == "0" {
			fmt.Fprintf(b, "\t%s %s, %s, %s\n", xorOp(reg), dst, dst, dst)
		} else if avx512 {
			fmt.Fprintf(b, "\tMOVL %s, AX\n\tVPBROADCASTD AX, %s\n", c[1], dst)
		} else {
			fmt.Fprintf(b, "\tMOVL %s, AX\n\tMOVD AX, X%d\n\tVPBROADCASTD X%d, %s\n", c[1], base+i, base+i, dst)
		}
		switch c[0] {
		case "zero":
			r.zero = dst
		case "lo":
			r.lo = dst
		case "log2e":
			r.log2e = dst
		case "hi":
			r.hi = dst
		case "lo2":
			r.lo2 = dst
		case "one":
			r.one = dst
		case "bias":
			r.bias = dst
		default:
			r.c = append(r.c, dst)
		}
	}
	return r
}

func kreg(mask string) string {
	if mask == "" {
		return ""
	}
	return "K1, "
}

// sdotPrologue opens a dot kernel: two A rows in SI/R9, four Bt rows in
// DI/R11/R12/R13, k in CX.
func sdotPrologue(b *bytes.Buffer, name string) {
	fmt.Fprintf(b, "// func %s(k int, a *float32, lda uintptr, bt *float32, ldbt uintptr, c *float32, ldc uintptr, alpha, beta float32)\n", name)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-64\n", name)
	b.WriteString("\tMOVQ k+0(FP), CX\n\tMOVQ a+8(FP), SI\n\tMOVQ lda+16(FP), R8\n\tLEAQ (SI)(R8*1), R9\n")
	b.WriteString("\tMOVQ bt+24(FP), DI\n\tMOVQ ldbt+32(FP), R10\n\tLEAQ (DI)(R10*1), R11\n\tLEAQ (R11)(R10*1), R12\n\tLEAQ (R12)(R10*1), R13\n")
}

// sdotEpilogue stores the eight reduced sums in X0-X7 as the 2x4 tile:
// alpha*sum (+ beta*C unless beta is 0), shared by both dot kernels.
func sdotEpilogue(b *bytes.Buffer) {
	b.WriteString("\tMOVQ c+40(FP), DX\n\tMOVQ ldc+48(FP), R8\n\tVMOVSS alpha+56(FP), X15\n\tVMOVSS beta+60(FP), X12\n")
	b.WriteString("\tMOVL beta+60(FP), AX\n\tTESTL $0x7fffffff, AX\n\tJZ nobeta\n")
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			b.WriteString("nobeta:\n\tMOVQ c+40(FP), DX\n")
		}
		for i := 0; i < 2; i++ {
			for j := 0; j < 4; j++ {
				r := 4*i + j
				fmt.Fprintf(b, "\tVMULSS X15, X%d, X%d\n", r, r)
				if pass == 0 {
					fmt.Fprintf(b, "\tVFMADD231SS %d(DX), X12, X%d\n", 4*j, r)
				}
				fmt.Fprintf(b, "\tVMOVSS X%d, %d(DX)\n", r, 4*j)
			}
			if i == 0 {
				b.WriteString("\tADDQ R8, DX\n")
			}
		}
		b.WriteString("\tVZEROUPPER\n\tRET\n")
	}
}

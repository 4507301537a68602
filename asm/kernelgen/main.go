// Command kernelgen writes the assembly kernels of package kernels and the
// Go declarations and tile constants that go with them.
//
// The micro-kernels are long, regular, fully unrolled instruction lists: a
// program writes them so that tile shapes change in one place and the
// register allocation is stated once. One file per ISA (avx512.go, avx2.go,
// neon.go; x86.go holds what the two x86 ISAs share). The output is
// committed; `go generate ./kernels` runs
//
//	go run -C ../asm ./kernelgen -out ../kernels
//
// and CI fails if the tree then changes. It lives in its own module so
// nothing it might import ever enters the root go.sum.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
)

// The Go signatures of the kernels. The assembly reads its arguments by
// these names; go vet's asmdecl check holds the two together.
const (
	sgemmSig   = "kc int, a *float32, aStride uintptr, b *float32, bStride uintptr, c *float32, ldc uintptr, alpha, beta float32"
	pairSig    = sgemmSig + ", next uintptr"
	gatherSig  = "kc int, a *float32, offs *int, left, run int, skip uintptr, b *float32, c *float32, ldc uintptr, alpha, beta float32"
	dgemmSig   = "kc int, a *float64, aStride uintptr, b *float64, bStride uintptr, c *float64, ldc uintptr, alpha, beta float64"
	sdotSig    = "k int, a *float32, lda uintptr, bt *float32, ldbt uintptr, c *float32, ldc uintptr, alpha, beta float32"
	eluFwdSig  = "y, x *float32, n int, alpha float32"
	eluBackSig = "dx, dy, y *float32, n int, alpha float32"
	pack8Sig   = "dst *float32, dstStride uintptr, src *float32, srcStride uintptr, kc int"
	adamSig    = "p, m, v, grad *float32, n int, scale, b1, c1, b2, c2, step, inv, eps float32"
	addSig     = "dst, src *float32, n int"
	normalSig  = "dst *float32, groups int, first int, key uint64, stream uint32, ctr uint64"
	noisySig   = "x, grad *float32, groups int, first int, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64"
)

// Register tiles of the GEMM micro-kernels: MR rows of C, and NV vectors
// of C's row (NR = NV * lanes); D for DGEMM.
const (
	avx512MR  = 8
	avx512NV  = 2 // ZMM vectors per C row: NR = 32
	avx512DMR = 8
	avx512DNV = 2 // NR = 16
	avx2MR    = 6
	avx2NV    = 2 // YMM vectors per C row: NR = 16
	avx2DMR   = 6
	avx2DNV   = 2 // NR = 8
	neonMR    = 8
	neonNV    = 2 // Q vectors per C row: NR = 8
	neonDMR   = 8
	neonDNV   = 2 // NR = 4
)

// An isa is one instruction set: its kernels' assembly files and Go
// declarations, and its register tile (the constants kernels/impl_*.go use).
type isa struct {
	name     string // the implementation's name in package kernels
	goarch   string
	mr, nr   int // SGEMM tile
	dmr, dnr int // DGEMM tile
	files    []asmFile
}

type asmFile struct {
	name  string
	write func(*bytes.Buffer)
	funcs [][2]string // the Go declarations of its TEXT symbols: name, signature
}

var isas = []isa{
	{"avx512", "amd64", avx512MR, avx512NV * 16, avx512DMR, avx512DNV * 8, []asmFile{
		{"sgemm_avx512_amd64.s", sgemmAVX512, [][2]string{{"sgemmKernelAVX512", sgemmSig}, {"sgemmHalfAVX512", sgemmSig}, {"sgemmRowsAVX512", sgemmSig}, {"sgemmRowsHalfAVX512", sgemmSig}, {"sgemmPairAVX512", pairSig}, {"sgemmGatherAVX512", gatherSig}}},
		{"dgemm_avx512_amd64.s", dgemmAVX512, [][2]string{{"dgemmKernelAVX512", dgemmSig}, {"dgemmHalfAVX512", dgemmSig}}},
		{"sdot_avx512_amd64.s", sdotAVX512, [][2]string{{"sdotKernelAVX512", sdotSig}}},
		{"elu_avx512_amd64.s", eluAVX512, [][2]string{{"eluForwardAVX512", eluFwdSig}, {"eluBackwardAVX512", eluBackSig}}},
		{"adam_avx512_amd64.s", adamAVX512, [][2]string{{"adamAVX512", adamSig}}},
		{"add_avx512_amd64.s", addAVX512, [][2]string{{"addAVX512", addSig}}},
		{"noise_avx512_amd64.s", noiseAVX512, [][2]string{{"normalAVX512", normalSig}, {"noisyStepAVX512", noisySig}}},
	}},
	{"avx2", "amd64", avx2MR, avx2NV * 8, avx2DMR, avx2DNV * 4, []asmFile{
		{"sgemm_avx2_amd64.s", sgemmAVX2, [][2]string{{"sgemmKernelAVX2", sgemmSig}, {"sgemmHalfAVX2", sgemmSig}, {"sgemmRowsAVX2", sgemmSig}, {"sgemmRowsHalfAVX2", sgemmSig}, {"sgemmPairAVX2", pairSig}, {"sgemmGatherAVX2", gatherSig}}},
		{"dgemm_avx2_amd64.s", dgemmAVX2, [][2]string{{"dgemmKernelAVX2", dgemmSig}, {"dgemmHalfAVX2", dgemmSig}}},
		{"sdot_avx2_amd64.s", sdotAVX2, [][2]string{{"sdotKernelAVX2", sdotSig}}},
		{"pack_avx_amd64.s", pack8AVX, [][2]string{{"pack8AVX", pack8Sig}}},
		{"elu_avx2_amd64.s", eluAVX2, [][2]string{{"eluForwardAVX2", eluFwdSig}, {"eluBackwardAVX2", eluBackSig}}},
		{"adam_avx2_amd64.s", adamAVX2, [][2]string{{"adamAVX2", adamSig}}},
		{"add_avx2_amd64.s", addAVX2, [][2]string{{"addAVX2", addSig}}},
		{"noise_avx2_amd64.s", noiseAVX2, [][2]string{{"normalAVX2", normalSig}, {"noisyStepAVX2", noisySig}}},
	}},
	{"neon", "arm64", neonMR, neonNV * 4, neonDMR, neonDNV * 2, []asmFile{
		{"sgemm_neon_arm64.s", sgemmNEON, [][2]string{{"sgemmKernelNEON", sgemmSig}}},
		{"dgemm_neon_arm64.s", dgemmNEON, [][2]string{{"dgemmKernelNEON", dgemmSig}}},
		{"elu_neon_arm64.s", eluNEON, [][2]string{{"eluForwardNEON", eluFwdSig}, {"eluBackwardNEON", eluBackSig}}},
		{"noise_neon_arm64.s", noiseNEON, [][2]string{{"normalNEON", normalSig}, {"noisyStepNEON", noisySig}}},
	}},
}

const header = "// Code generated by asm/kernelgen. DO NOT EDIT.\n\n"

func main() {
	out := flag.String("out", "../kernels", "folder the .s and Go files are written to")
	flag.Parse()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			log.Fatalf("kernelgen: %v", err)
		}
	}
	for _, is := range isas {
		for _, f := range is.files {
			var b bytes.Buffer
			b.WriteString(header)
			f.write(&b)
			write(f.name, b.Bytes())
		}
	}
	for _, goarch := range []string{"amd64", "arm64"} {
		write("asm_"+goarch+".go", stubs(goarch))
	}
}

// stubs is the Go side of one architecture's assembly: the tile constants
// and the declarations of every kernel.
func stubs(goarch string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s//go:build !purego\n\npackage kernels\n\n", header)
	b.WriteString("// Register tiles of the GEMM micro-kernels: rows and columns of C (D: DGEMM).\nconst (\n")
	for _, is := range isas {
		if is.goarch == goarch {
			fmt.Fprintf(&b, "\t%sMR, %sNR = %d, %d\n", is.name, is.name, is.mr, is.nr)
			fmt.Fprintf(&b, "\t%sDMR, %sDNR = %d, %d\n", is.name, is.name, is.dmr, is.dnr)
		}
	}
	b.WriteString(")\n")
	for _, is := range isas {
		if is.goarch != goarch {
			continue
		}
		for _, f := range is.files {
			for _, fn := range f.funcs {
				fmt.Fprintf(&b, "\n// %s is in %s.\n//\n//go:noescape\nfunc %s(%s)\n", fn[0], f.name, fn[0], fn[1])
			}
		}
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("kernelgen: Go stubs for %s: %v", goarch, err)
	}
	return src
}

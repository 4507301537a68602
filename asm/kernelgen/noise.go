package main

// The Gaussian noise kernels: Philox4x32-10 counters in vector lanes, one
// block per lane, then Box-Muller on the four uniforms of each block. The
// algorithm and its constants are those of kernels/normal.go (the generic
// implementation, the reference); a group of 16 blocks gives 64 values,
// stored component by component (value k of lane l at 16k+l).

import (
	"bytes"
	"fmt"
	"math"
)

// Philox4x32-10's multipliers and key increments.
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// The constants of Box-Muller (kernels/normal.go): the uniform's scale and
// offset, Cephes's logf and sinf/cosf polynomials.
var (
	noiseLog = []float64{7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
		1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1}
	noiseSin = []float64{-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1}
	noiseCos = []float64{2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2}
)

// noiseTable is the constant table: name, 32-bit value.
func noiseTable() [][2]any {
	f := func(v float64) uint32 { return math.Float32bits(float32(v)) }
	t := [][2]any{
		{"scale", f(1.0 / (1 << 24))}, {"half", f(1.0 / (1 << 25))},
		{"mantmask", uint32(0x807fffff)}, {"halfexp", uint32(0x3f000000)}, {"bias", uint32(126)},
		{"sqrthalf", f(0.70710677)}, {"one", f(1)}, {"onei", uint32(1)}, {"twoi", uint32(2)},
		{"ln2lo", f(-2.12194440e-4)}, {"ln2hi", f(0.693359375)}, {"mhalf", f(-0.5)}, {"mtwo", f(-2)},
		{"four", f(4)}, {"halfpi", f(math.Pi / 2)},
		{"m0", uint32(philoxM0)}, {"m1", uint32(philoxM1)}, {"w0", uint32(philoxW0)}, {"w1", uint32(philoxW1)},
	}
	for i, c := range noiseLog {
		t = append(t, [2]any{fmt.Sprintf("log%d", i), f(c)})
	}
	for i, c := range noiseSin {
		t = append(t, [2]any{fmt.Sprintf("sin%d", i), f(c)})
	}
	for i, c := range noiseCos {
		t = append(t, [2]any{fmt.Sprintf("cos%d", i), f(c)})
	}
	return t
}

// noiseConsts writes the table (and, for lanes of width n, the lane
// numbers 0..n-1) and returns a function naming an entry's address.
func noiseConsts(b *bytes.Buffer, lanes int) func(string) string {
	t := noiseTable()
	at := map[string]int{}
	for i, e := range t {
		fmt.Fprintf(b, "DATA noiseconst<>+%d(SB)/4, $0x%08x\n", 4*i, e[1])
		at[e[0].(string)] = 4 * i
	}
	fmt.Fprintf(b, "GLOBL noiseconst<>(SB), RODATA|NOPTR, $%d\n\n", 4*len(t))
	for l := range lanes {
		fmt.Fprintf(b, "DATA noiselanes<>+%d(SB)/4, $%d\n", 4*l, l)
	}
	fmt.Fprintf(b, "GLOBL noiselanes<>(SB), RODATA|NOPTR, $%d\n\n", 4*lanes)
	return func(name string) string {
		off, ok := at[name]
		if !ok {
			panic(name)
		}
		return fmt.Sprintf("noiseconst<>+%d(SB)", off)
	}
}

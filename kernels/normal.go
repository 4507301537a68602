package kernels

import (
	"fmt"
	"math"
)

// Normal fills dst with standard normal values. The bits come from the
// counter-based generator Philox4x32-10 (Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011) under key; block
// j of the call is the counter (j, stream, ctr), and gives four values by
// the Box-Muller transform of its four 24-bit uniforms. Sixteen blocks make
// a group of 64 values, stored component by component: value k of block
// 16g+l is dst[64g+16k+l], which is how a vector unit computes them. A
// block depends on nothing else, so any part of a stream can be drawn on
// its own, in any order, by any goroutine.
//
// The implementations differ from the generic one (the reference) by a few
// float32 roundings: results are the same on one machine, not across
// instruction sets, as with Sgemm.
func Normal(dst []float32, key uint64, stream uint32, ctr uint64) {
	if len(dst) == 0 {
		return
	}
	raceWrite(dst)
	active.Load().normal(dst, key, stream, ctr)
}

// NoisyStep takes one step of Langevin dynamics in one pass:
//
//	x[i] = min(max(x[i] - alpha*g[i] + sigma*n[i], lo), hi)
//
// with n the values Normal(n, key, stream, ctr) would write. Infinite
// bounds do not clamp.
func NoisyStep(x, g []float32, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64) error {
	if len(g) != len(x) {
		return fmt.Errorf("kernels: noisy step: len(x) = %d, len(g) = %d: lengths differ", len(x), len(g))
	}
	if len(x) == 0 {
		return nil
	}
	raceRead(g)
	raceWrite(x)
	active.Load().noisyStep(x, g, alpha, sigma, lo, hi, key, stream, ctr)
	return nil
}

// Philox4x32-10's constants: the multipliers and the key schedule's
// increments (the golden ratio and sqrt(3)-1 in 32-bit fixed point).
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// philox is 10 rounds of Philox4x32 on counter c under key k.
func philox(c [4]uint32, k0, k1 uint32) [4]uint32 {
	for range 10 {
		p0 := uint64(philoxM0) * uint64(c[0])
		p1 := uint64(philoxM1) * uint64(c[2])
		c = [4]uint32{uint32(p1>>32) ^ c[1] ^ k0, uint32(p1), uint32(p0>>32) ^ c[3] ^ k1, uint32(p0)}
		k0 += philoxW0
		k1 += philoxW1
	}
	return c
}

// uniform maps 32 random bits to (0, 1]: the top 24 bits and half a step
// (the largest rounds to 1), so the logarithm is finite.
func uniform(b uint32) float32 { return float32(b>>8)*(1.0/(1<<24)) + 1.0/(1<<25) }

// boxMuller turns two uniforms into two independent standard normals:
// sqrt(-2 ln u0) * (cos, sin)(2 pi u1). The logarithm and the sine and cosine
// are the float32 polynomials the assembly evaluates (Cephes's logf, sinf
// and cosf on their reduced ranges).
func boxMuller(u0, u1 float32) (float32, float32) {
	r := float32(math.Sqrt(float64(-2 * logf(u0))))
	s, c := sincos2pi(u1)
	return r * c, r * s
}

// Cephes logf: u = m*2^e with m in [sqrt(1/2), sqrt(2)), ln u = e*ln2 +
// ln m, ln m by a degree-9 polynomial in m-1.
var logCoeffs = [...]float32{7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
	1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1}

const (
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440e-4
)

func logf(u float32) float32 {
	bits := math.Float32bits(u)
	e := int32(bits>>23) - 126                              // u = m*2^e, m in [0.5, 1)
	m := math.Float32frombits(bits&0x807fffff | 0x3f000000) // the mantissa with exponent -1
	if m < 0.70710677 {
		m += m // into [sqrt(1/2), sqrt(2))
		e--
	}
	x := m - 1
	z := x * x
	p := logCoeffs[0]
	for _, c := range logCoeffs[1:] {
		p = p*x + c
	}
	y := x * z * p
	fe := float32(e)
	y += fe * ln2Lo
	y += -0.5 * z
	return x + y + fe*ln2Hi
}

// sincos2pi returns the sine and cosine of 2*pi*u: the nearest quarter
// turn q and the rest a in [-pi/4, pi/4], whose sine and cosine the Cephes
// polynomials give; the quarter turns then swap and negate them.
func sincos2pi(u float32) (float32, float32) {
	t := 4 * u
	q := float32(math.RoundToEven(float64(t)))
	a := (t - q) * (math.Pi / 2)
	z := a * a
	s := ((-1.9515295891e-4*z+8.3321608736e-3)*z-1.6666654611e-1)*z*a + a
	c := ((2.443315711809948e-5*z-1.388731625493765e-3)*z+4.166664568298827e-2)*z*z - 0.5*z + 1
	switch int(q) & 3 {
	case 1:
		return c, -s
	case 2:
		return -s, -c
	case 3:
		return -c, s
	}
	return s, c
}

// groupSize is the number of values of a group of 16 blocks.
const groupSize = 64

// normalGroup computes group g: value k of block 16g+l at out[16k+l].
func normalGroup(out *[groupSize]float32, g int, key uint64, stream uint32, ctr uint64) {
	k0, k1 := uint32(key), uint32(key>>32)
	for l := range 16 {
		b := philox([4]uint32{uint32(16*g + l), stream, uint32(ctr), uint32(ctr >> 32)}, k0, k1)
		out[l], out[16+l] = boxMuller(uniform(b[0]), uniform(b[1]))
		out[32+l], out[48+l] = boxMuller(uniform(b[2]), uniform(b[3]))
	}
}

// normalGeneric is Normal in Go: the reference.
func normalGeneric(dst []float32, key uint64, stream uint32, ctr uint64) {
	var grp [groupSize]float32
	for g := 0; g*groupSize < len(dst); g++ {
		normalGroup(&grp, g, key, stream, ctr)
		copy(dst[g*groupSize:], grp[:])
	}
}

// noisyStepGeneric is NoisyStep in Go, the reference: a group of normals
// at a time, so nothing is allocated.
func noisyStepGeneric(x, g []float32, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64) {
	var n [groupSize]float32
	for gi := 0; gi*groupSize < len(x); gi++ {
		normalGroup(&n, gi, key, stream, ctr)
		base := gi * groupSize
		noisyUpdate(x[base:min(len(x), base+groupSize)], g[base:], n[:], alpha, sigma, lo, hi)
	}
}

// noisyUpdate is the update of NoisyStep with the normals n given.
func noisyUpdate(x, g, n []float32, alpha, sigma, lo, hi float32) {
	for i := range x {
		x[i] = min(max(x[i]-alpha*g[i]+sigma*n[i], lo), hi)
	}
}

// vectorNoise makes Normal and NoisyStep from kernels that fill whole
// groups from a group index on; the last, partial group goes through a
// group on the stack.
func vectorNoise(normal func(dst *float32, groups, first int, key uint64, stream uint32, ctr uint64),
	step func(x, grad *float32, groups, first int, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64)) (
	func([]float32, uint64, uint32, uint64), func([]float32, []float32, float32, float32, float32, float32, uint64, uint32, uint64)) {
	return func(dst []float32, key uint64, stream uint32, ctr uint64) {
			groups := len(dst) / groupSize
			if groups > 0 {
				normal(&dst[0], groups, 0, key, stream, ctr)
			}
			if rest := dst[groups*groupSize:]; len(rest) > 0 {
				var n [groupSize]float32
				normal(&n[0], 1, groups, key, stream, ctr)
				copy(rest, n[:])
			}
		}, func(x, g []float32, alpha, sigma, lo, hi float32, key uint64, stream uint32, ctr uint64) {
			groups := len(x) / groupSize
			if groups > 0 {
				step(&x[0], &g[0], groups, 0, alpha, sigma, lo, hi, key, stream, ctr)
			}
			if rest := x[groups*groupSize:]; len(rest) > 0 {
				var n [groupSize]float32
				normal(&n[0], 1, groups, key, stream, ctr)
				noisyUpdate(rest, g[groups*groupSize:], n[:], alpha, sigma, lo, hi)
			}
		}
}

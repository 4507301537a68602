package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every implementation's Add is dst[i] + src[i] rounded once, bit for bit,
// over lengths around the vector widths and their pairs; it writes nothing
// past dst and leaves src unchanged.
func TestAddMatchesTheReference(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(71, 72))
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49, 128, 192, 1001} {
			dst, src := make([]float32, n+3), make([]float32, n)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
				dst[i] = float32(rng.NormFloat64() * 100)
			}
			const sentinel = -7777.25
			dst[n], dst[n+1], dst[n+2] = sentinel, sentinel, sentinel
			want := make([]float32, n)
			for i := range want {
				want[i] = dst[i] + src[i]
			}
			src0 := append([]float32(nil), src...)
			im.add(dst[:n], src)
			require.Equal(t, want, dst[:n], "n=%d", n)
			require.Equal(t, []float32{sentinel, sentinel, sentinel}, dst[n:], "n=%d: written past dst", n)
			require.Equal(t, src0, src, "n=%d: src changed", n)
		}
	})
	require.ErrorContains(t, Add(make([]float32, 3), make([]float32, 4)), "lengths differ")
	require.NoError(t, Add(nil, nil))
}

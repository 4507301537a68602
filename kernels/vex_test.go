package kernels

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// legacySSE is an instruction on an XMM register without a VEX or EVEX
// encoding (its mnemonic does not start with V), such as MOVQ AX, X10.
var legacySSE = regexp.MustCompile(`^\s+([A-UW-Z][A-Z0-9]*)\s.*\bX[0-9]+\b`)

// The AVX kernels use no legacy SSE instruction: on Intel cores, one
// executed while the upper halves of the YMM registers are dirty costs a
// state transition or a merge with each. Two MOVQ AX, Xn in the AVX2 noise
// kernel made it draw 50 M normals/s, slower than the Go reference; with
// VMOVQ, 677 M/s (Intel Xeon, KVM, BenchmarkNormal/avx2).
func TestAVXKernelsUseNoLegacySSE(t *testing.T) {
	files, err := filepath.Glob("*_amd64.s")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, line := range strings.Split(string(b), "\n") {
			if m := legacySSE.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d: %s is a legacy SSE instruction on an XMM register: use its VEX form (V%s)", f, i+1, m[1], m[1])
			}
		}
	}
}

package kernels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// forEachImpl runs f once per compiled-in implementation, skipping (with the
// reason) those the CPU cannot run.
func forEachImpl(t *testing.T, f func(t *testing.T, im *impl)) {
	for _, im := range registry {
		t.Run(im.name, func(t *testing.T) {
			if why := im.missing(); why != "" {
				t.Skipf("%s: %s", im.name, why)
			}
			f(t, im)
		})
	}
}

func TestUseSelectsAndRefuses(t *testing.T) {
	prev := Active()
	t.Cleanup(func() { require.NoError(t, Use(prev)) })
	require.ErrorContains(t, Use("sse9"), "unknown implementation")
	require.NoError(t, Use("generic"))
	require.Equal(t, "generic", Active())
	for _, im := range Describe().Implementations {
		if !im.Available {
			require.ErrorContains(t, Use(im.Name), "unavailable", "%s should be refused", im.Name)
		} else {
			require.NoError(t, Use(im.Name))
			require.Equal(t, im.Name, Active())
		}
	}
	info := Describe()
	require.NotEmpty(t, info.Implementations)
	require.Equal(t, Active(), info.Active)
}

// The default is the highest-ranked implementation the CPU runs.
func TestDefaultIsBestAvailable(t *testing.T) {
	if EnvError() != nil || Describe().EnvOverride != "" {
		t.Skipf("%s is set: the default was overridden", EnvVar)
	}
	best := ""
	for _, im := range registry {
		if im.missing() == "" {
			best = im.name
		}
	}
	require.Equal(t, best, Active())
}

// Every implementation's register tile fits the edge buffers gemm.go sizes
// for the largest tile.
func TestTilesFitTheWorkspace(t *testing.T) {
	for _, im := range registry {
		for _, tile := range [][2]int{{im.sgemm.mr, im.sgemm.nr}, {im.dgemm.mr, im.dgemm.nr}} {
			require.LessOrEqual(t, tile[0], maxMR, im.name)
			require.LessOrEqual(t, tile[1], maxNR, im.name)
			require.Positive(t, tile[0]*tile[1], im.name)
			// Whole column blocks are whole panels: PackedB's layout (panelsAt) counts on it.
			require.Zero(t, ncBlock%tile[1], im.name)
		}
	}
}

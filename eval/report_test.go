package eval

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkPage holds the report page to what a reader needs: every figure
// formatted (no "%!" of a failed format), every picture inline, and every
// energy set drawn with its median inside the axis.
func checkPage(t *testing.T, page string, fashion bool) {
	t.Helper()
	require.NotContains(t, page, "%!", "a cell failed to format")
	require.NotContains(t, page, "<no value>")
	if fashion {
		require.Contains(t, page, "Ankle boot")
	}
	for _, want := range []string{"moving average of its weights (decay 0.999)", "Reliability diagram", "conditional chains of this class",
		"data:image/gif;base64,", "data:image/png;base64,", "Out-of-distribution", "<svg", "FID of the replay buffer"} {
		require.Contains(t, page, want)
	}
	for _, set := range []string{"mnist test", "samples", "uniform noise", "Gaussian noise", "inverted mnist"} {
		require.Contains(t, page, ">"+set+"<", "the energy histogram has a row for %s", set)
	}
}

// The energy histogram keeps every set readable. The sets here spread
// between the 5th and 95th percentiles of a trained default run's sets
// (seed 1): the data near -10, noise near +30, inverted digits near +700,
// and Fashion-MNIST with a long tail. The digits and the samples each fill
// many bins (on a linear axis they would share one), and no set is lost.
func TestEnergyHistogramShowsEverySet(t *testing.T) {
	spread := func(lo, hi float64) []float64 {
		out := make([]float64, 1000)
		for i := range out {
			out[i] = lo + (hi-lo)*float64(i)/float64(len(out)-1)
		}
		return out
	}
	r := &Report{Energies: []EnergySet{{"MNIST test", spread(-12.3, -4.2)}, {"samples", spread(-12.2, -5.0)},
		{"Fashion-MNIST", append(spread(-5.9, 52.3), 191.8)}, {"uniform noise", spread(10.3, 51.4)}, {"inverted MNIST", spread(660, 738)}}}
	svg := r.energySVG()
	// Count the bins each row's outline lifts off its baseline.
	polys := regexp.MustCompile(`<polygon points="([^"]+)"`).FindAllStringSubmatch(svg, -1)
	require.Len(t, polys, len(r.Energies))
	filled := make([]int, len(polys))
	for i, p := range polys {
		pts := strings.Fields(p[1])
		base := strings.Split(pts[0], ",")[1]
		for _, pt := range pts[1 : len(pts)-1] {
			if strings.Split(pt, ",")[1] != base {
				filled[i]++
			}
		}
		filled[i] /= 2 // two points a bin
		require.Positive(t, filled[i], r.Energies[i].Name)
	}
	require.GreaterOrEqual(t, filled[0], 8, "MNIST test fills %d bins", filled[0])
	require.GreaterOrEqual(t, filled[1], 8, "samples fill %d bins", filled[1])
	for _, tick := range []string{">-10<", ">0<", ">10<", ">100<"} {
		require.Contains(t, svg, tick)
	}
	require.NotContains(t, svg, "%!")
}

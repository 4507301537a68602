package mnist

import (
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// canvas is a w x h drawing with ink 1 in the rectangle (x, y, rw, rh).
func canvas(w, h, x, y, rw, rh int) []float32 {
	c := make([]float32, w*h)
	for j := y; j < y+rh; j++ {
		for i := x; i < x+rw; i++ {
			c[j*w+i] = 1
		}
	}
	return c
}

// inkBox is the bounding box and centre of mass (pixel centres at i+0.5)
// of a 28x28 grey frame's ink.
func inkBox(f []float32) (w, h int, cx, cy float64) {
	x0, y0, x1, y1 := 28, 28, -1, -1
	var m float64
	for i, v := range f {
		ink := float64(v+1) / 2
		if ink > 0 {
			x, y := i%28, i/28
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			m, cx, cy = m+ink, cx+ink*(float64(x)+0.5), cy+ink*(float64(y)+0.5)
		}
	}
	return x1 - x0 + 1, y1 - y0 + 1, cx / m, cy / m
}

// The ink's bounding box fits 20x20 with its aspect kept, and its centre of
// mass lands on the frame's centre (within the half pixel of a whole-pixel
// shift), wherever and however large it was drawn.
func TestADrawingIsFramedAsMNISTDigitsWere(t *testing.T) {
	for _, c := range []struct{ x, y, w, h, boxW, boxH int }{
		{0, 0, 100, 40, 20, 8},    // a bar in the corner
		{130, 10, 20, 260, 2, 20}, // a "1" the canvas's height
		{5, 5, 270, 270, 20, 20},  // a block across the canvas
		{200, 200, 7, 7, 20, 20},  // a dot, blown up
	} {
		f := FrameDigit(canvas(280, 280, c.x, c.y, c.w, c.h), 280, 280)
		w, h, cx, cy := inkBox(f)
		require.Equal(t, [2]int{c.boxW, c.boxH}, [2]int{w, h}, "box of %+v", c)
		require.InDelta(t, 14, cx, 0.5, "centre of mass of %+v", c)
		require.InDelta(t, 14, cy, 0.5, "centre of mass of %+v", c)
	}
	// Where it was drawn does not matter.
	a := FrameDigit(canvas(280, 280, 10, 20, 60, 150), 280, 280)
	b := FrameDigit(canvas(280, 280, 200, 120, 60, 150), 280, 280)
	require.Equal(t, a, b)
	// Nothing drawn: a blank frame.
	for _, v := range FrameDigit(make([]float32, 280*280), 280, 280) {
		require.Equal(t, float32(-1), v)
	}
}

// Area averaging keeps the mean ink: each output pixel is the mean of the
// canvas it covers, partial pixels by their part.
func TestResizeKeepsTheMeanInk(t *testing.T) {
	src := make([]float32, 280*210)
	for i := range src {
		src[i] = float32(math.Mod(float64(i)*0.6180339887, 1))
	}
	var want float64
	for _, v := range src {
		want += float64(v)
	}
	want /= float64(len(src))
	for _, size := range [][2]int{{28, 28}, {32, 32}, {17, 9}, {300, 220}} {
		out := resize(src, 280, 210, 0, 0, 280, 210, size[0], size[1])
		var got float64
		for _, v := range out {
			got += float64(v)
		}
		require.InDelta(t, want, got/float64(len(out)), 1e-5, "%v", size)
	}
}

// Framing an MNIST digit drawn ten times larger, anywhere on the canvas,
// gives back the digit: the data set was made this way.
func TestAnMNISTDigitDrawnLargeIsFramedBackIntoItself(t *testing.T) {
	dir := os.Getenv(EnvVar)
	if dir == "" {
		t.Skip("EBM_DATA is not set: no MNIST folder")
	}
	test, err := Load(MNIST, dir, "test", false)
	require.NoError(t, err)
	const n = 200
	close := 0
	img := make([]float32, 784)
	for i := range n {
		test.Image(i, img)
		big := make([]float32, 300*300)
		for y := range 280 {
			for x := range 280 {
				big[(y+13)*300+x+7] = (img[y/10*28+x/10] + 1) / 2
			}
		}
		f := FrameDigit(big, 300, 300)
		// Equal up to a shift of a pixel (the centre of mass is placed to
		// the nearest whole pixel) and the faint pixels below the ink level.
		best := math.Inf(1)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				var d float64
				for y := range 28 {
					for x := range 28 {
						v := float32(-1)
						if sy, sx := y+dy, x+dx; sy >= 0 && sx >= 0 && sy < 28 && sx < 28 {
							v = img[sy*28+sx]
						}
						d += math.Abs(float64(f[y*28+x] - v))
					}
				}
				best = min(best, d/784)
			}
		}
		if best < 0.05 {
			close++
		}
	}
	t.Logf("%d of %d digits framed back within a mean difference of 0.05", close, n)
	require.GreaterOrEqual(t, close, n*9/10)
}

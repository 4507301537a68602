package web

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// A drawing's prediction is the model's p(y|x) and E(x), as jem.Scores
// computes them on the run's moving average of the weights.
func TestPredictIsTheModelsClassifierAndEnergy(t *testing.T) {
	runs := fixture(t)
	_, ts := newTestServer(t, runs)
	x := blank()
	for i := 300; i < 500; i++ {
		x[i] = 1
	}
	predictIsTheModels(t, ts.URL, runs, "tiny", x)

	for name, bad := range map[string]predictRequest{
		"short":          {Pixels: x[:783]},
		"long":           {Pixels: append(blank(), 0)},
		"range":          {Pixels: func() []float32 { y := blank(); y[5] = 1.5; return y }()},
		"huge":           {Pixels: func() []float32 { y := blank(); y[5] = 1e30; return y }()},
		"ink short":      {Drawing: &drawing{Width: 140, Height: 140, Ink: make([]byte, 140*139)}},
		"canvas huge":    {Drawing: &drawing{Width: 1 << 30, Height: 1 << 30, Ink: make([]byte, 16)}},
		"canvas empty":   {Drawing: &drawing{}},
		"pixels and ink": {Pixels: x, Drawing: &drawing{Width: 1, Height: 1, Ink: []byte{0}}},
	} {
		var e apiError
		require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/runs/tiny/predict", bad, &e), name)
		require.NotEmpty(t, e.Error, name)
	}
}

// A drawing is framed as the data set's images were (mnist.FrameDrawing),
// and the answer shows the image the model saw.
func TestADrawingIsPredictedAsTheImageItIsFramedInto(t *testing.T) {
	runs := fixture(t)
	_, ts := newTestServer(t, runs)
	ink := make([]byte, 140*140)
	for y := 10; y < 130; y++ { // a "1": a bar down the canvas, off-centre
		for x := 20; x < 30; x++ {
			ink[y*140+x] = 255
		}
	}
	var p prediction
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/runs/tiny/predict", predictRequest{Drawing: &drawing{Width: 140, Height: 140, Ink: ink}}, &p))
	require.Len(t, p.Pixels, 784)
	want := make([]float32, len(ink))
	for i, b := range ink {
		want[i] = float32(b) / 255
	}
	require.Equal(t, mnist.FrameDigit(want, 140, 140), p.Pixels)
	var q prediction
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/runs/tiny/predict", predictRequest{Pixels: p.Pixels}, &q))
	require.Equal(t, q.Probs, p.Probs, "the prediction is of the framed image")
}

// A convolutional run serves predictions and its description as an MLP
// run does.
func TestConvRunPredictsAndDescribesItself(t *testing.T) {
	runs := convFixture(t)
	_, ts := newTestServer(t, runs)
	x := blank()
	for i := 300; i < 500; i++ {
		x[i] = 1
	}
	predictIsTheModels(t, ts.URL, runs, "tinyconv", x)
	var m struct{ Arch string }
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/tinyconv/model", &m))
	require.Equal(t, "28x28x1 8c4s2p1 16c4s2p1 784-32-10", m.Arch)
}

func predictIsTheModels(t *testing.T, url, runs, name string, x []float32) {
	var p prediction
	require.Equal(t, http.StatusOK, post(t, url+"/api/runs/"+name+"/predict", predictRequest{Pixels: x}, &p))
	ck, err := train.LoadCheckpoint(filepath.Join(runs, name, "checkpoint.ebm"))
	require.NoError(t, err)
	probs, e, err := jem.Scores(ck.Model, x, 1)
	require.NoError(t, err)
	require.Equal(t, probs, p.Probs)
	require.Equal(t, e[0], p.Energy)
	var sum float64
	for _, v := range p.Probs {
		sum += float64(v)
	}
	require.InDelta(t, 1, sum, 1e-5)
}

// The model description carries the energy histograms of MNIST test and,
// when it is beside the data, Fashion-MNIST, on one axis.
func TestModelHasEnergyHistograms(t *testing.T) {
	_, ts := newTestServer(t, fixture(t))
	var m struct {
		Weights    string
		ChainSteps int `json:"chain_steps"`
		Histograms []histogram
	}
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/tiny/model", &m))
	require.Equal(t, "ema", m.Weights)
	require.Positive(t, m.ChainSteps)
	require.NotEmpty(t, m.Histograms)
	total := 0
	for _, c := range m.Histograms[0].Counts {
		total += c
	}
	require.Equal(t, 10000, total, "every MNIST test image counted")
	for _, h := range m.Histograms {
		require.Equal(t, m.Histograms[0].Lo, h.Lo)
		require.Equal(t, m.Histograms[0].Hi, h.Hi)
	}
}

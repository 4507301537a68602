package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/internal/fakedata"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// colourServer serves a runs folder holding one tiny run, "colour", of a
// 16x16 RGB image folder in 6 classes, with that folder as its data.
func colourServer(t *testing.T) (string, *httptest.Server) {
	data, runs := t.TempDir(), t.TempDir()
	require.NoError(t, fakedata.RGBFolder(data, 16, 16, 6, 16, 1))
	o := train.DefaultOptions()
	o.DataDir, o.OutDir = data, filepath.Join(runs, "colour")
	require.NoError(t, train.Execute(context.Background(), train.Job{Options: o, Given: map[string]string{
		"epochs": "1", "batch_size": "16", "langevin_steps": "2", "buffer_size": "32", "convs": "8c4s2p1", "hidden": "16"}}))
	s := New(Config{Runs: runs, DataDir: data})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return runs, ts
}

// The page works on any data set: the model says its shape and classes,
// predictions, dreams and test images take that shape, and a dream's
// class is one of the set's.
func TestServesAModelOfAnyShape(t *testing.T) {
	_, ts := colourServer(t)
	var m struct {
		Data       string
		Shape      []int
		Classes    []string
		TestImages int `json:"test_images"`
		Histograms []histogram
	}
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/colour/model", &m))
	require.Equal(t, []int{16, 16, 3}, m.Shape)
	require.Equal(t, []string{"blue", "blue-square", "green", "green-square", "red", "red-square"}, m.Classes)
	require.Equal(t, 96, m.TestImages)
	require.Len(t, m.Histograms, 1, "the test set; no out-of-distribution set beside it")

	var p prediction
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/runs/colour/predict", predictRequest{Pixels: make([]float32, 16*16*3)}, &p))
	require.Len(t, p.Probs, 6)
	var e apiError
	require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/runs/colour/predict", predictRequest{Pixels: make([]float32, 784)}, &e))
	require.Contains(t, e.Error, "want 768 (a 16x16x3 image)")

	var img struct {
		Class  string
		Shape  []int
		Pixels []float32
	}
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/digits/95", &img))
	require.Equal(t, []int{16, 16, 3}, img.Shape)
	require.Len(t, img.Pixels, 768)
	require.Contains(t, fakedata.Colours, img.Class)
	require.Equal(t, http.StatusBadRequest, get(t, ts.URL+"/api/digits/96", nil))

	class := 5
	res, err := dreamStream(t, ts.URL+"/api/runs/colour/dream", dreamRequest{Chains: 3, Steps: 2, Frames: 1, Class: &class, Seed: 1})
	require.NoError(t, err)
	got := lines(t, res.Body)
	res.Body.Close()
	require.Equal(t, []any{16.0, 16.0, 3.0}, got[0]["shape"])
	px, err := base64.StdEncoding.DecodeString(got[1]["pixels"].(string))
	require.NoError(t, err)
	require.Len(t, px, 3*768)
	class = 6
	res, err = dreamStream(t, ts.URL+"/api/runs/colour/dream", dreamRequest{Chains: 3, Steps: 2, Class: &class})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadRequest, res.StatusCode, "6 classes: 0 to 5")
}

// A run of another data set than the server's is refused with what to do,
// not shown with meaningless pictures and energies.
func TestARunOfAnotherDataSetIsRefused(t *testing.T) {
	dir := os.Getenv(mnist.EnvVar)
	if dir == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	runs, _ := colourServer(t)
	s := New(Config{Runs: runs, DataDir: dir})
	ts := httptest.NewServer(s)
	defer func() { s.Close(); ts.Close() }()
	var e apiError
	require.Equal(t, http.StatusConflict, get(t, ts.URL+"/api/runs/colour/model", &e))
	require.Contains(t, e.Error, "16x16x3 images in 6 classes")
	require.Contains(t, e.Error, "--data_dir")
}

package web

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// The runs list shows every run folder with its state and recipe.
func TestRunsAreListedWithTheirState(t *testing.T) {
	_, ts := newTestServer(t, fixture(t))
	var runs []runSummary
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs", &runs))
	require.Len(t, runs, 1)
	r := runs[0]
	require.Equal(t, "tiny", r.Name)
	require.Equal(t, "finished", string(r.State))
	require.Equal(t, []int{32}, r.Recipe.Hidden)
	require.Equal(t, 1, r.Epoch)
	require.Equal(t, "samples_final.png", r.Samples)

	var one runSummary
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/tiny", &one))
	require.Equal(t, r.Name, one.Name)
	res, err := http.Get(ts.URL + "/api/runs/tiny/files/samples_final.png")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "image/png", res.Header.Get("Content-Type"))

	var settings map[string]any
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/settings", &settings))
	require.Len(t, settings["recipe"], len(train.Settings(&train.Recipe{})), "one field per recipe setting")
	require.Len(t, settings["presets"], len(train.Presets))
}

// Runs are addressed by name inside the runs folder only: "..", absolute
// paths, separators and links out of the folder are refused, and so are
// files a run does not write.
func TestRunNamesStayInsideTheRunsFolder(t *testing.T) {
	runs := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "config.json"), []byte(`{"secret":1}`), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(runs, "escape")))
	require.NoError(t, os.Mkdir(filepath.Join(runs, "ok"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(outside, "config.json"), filepath.Join(runs, "ok", "config.json")))
	_, ts := newTestServer(t, runs)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{
		"/api/runs/..":                        http.StatusTemporaryRedirect, // cleaned by the router, never a run
		"/api/runs/%2e%2e":                    http.StatusBadRequest,
		"/api/runs/..%2f..%2fetc":             http.StatusBadRequest,
		"/api/runs/%2fetc":                    http.StatusBadRequest,
		"/api/runs/.hidden":                   http.StatusBadRequest,
		"/api/runs/escape":                    http.StatusBadRequest,
		"/api/runs/escape/files/config.json":  http.StatusBadRequest,
		"/api/runs/ok/files/config.json":      http.StatusNotFound, // a link out of the run folder
		"/api/runs/ok/files/..%2f..%2fpasswd": http.StatusNotFound,
		"/api/runs/ok/files/checkpoint.ebm":   http.StatusNotFound, // not a file the page shows
		"/api/runs/missing":                   http.StatusNotFound,
		"/api/runs/missing/model":             http.StatusNotFound,
	} {
		res, err := client.Get(ts.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, want, res.StatusCode, path)
		require.NotContains(t, string(body), "secret", path)
		if want != http.StatusTemporaryRedirect {
			require.Contains(t, string(body), `"error"`, path)
		}
	}
	var list []runSummary
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs", &list))
	for _, r := range list {
		require.NotEqual(t, "escape", r.Name, "a link out of the folder is not a run")
	}
}

// A test digit is served by its index, and only a valid index.
func TestDigitsAreServedByIndex(t *testing.T) {
	_, ts := newTestServer(t, fixture(t))
	var d struct {
		Index, Label int
		Pixels       []float32
	}
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/digits/0", &d))
	require.Equal(t, 7, d.Label, "the first MNIST test digit is a 7")
	require.Len(t, d.Pixels, 784)
	for _, bad := range []string{"-1", "10000", "x", "1e3"} {
		var e apiError
		require.Equal(t, http.StatusBadRequest, get(t, ts.URL+"/api/digits/"+bad, &e), bad)
	}
}

// The page itself is served from the binary: the four views and their script.
func TestThePageIsServed(t *testing.T) {
	_, ts := newTestServer(t, t.TempDir())
	for path, want := range map[string]string{"/": `<section id="explore"`, "/common.js": "function lineChart", "/explore.js": "function drawHist", "/style.css": "body"} {
		res, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Contains(t, string(body), want, path)
	}
}

package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// ownRun trains a tiny run of epochs epochs, name, in a runs folder of the
// test's own (one it may change), resumed to more epochs if more are given.
func ownRun(t *testing.T, name string, epochs ...string) string {
	data := os.Getenv(mnist.EnvVar)
	if data == "" {
		t.Skipf("%s is not set: no MNIST folder", mnist.EnvVar)
	}
	runs := t.TempDir()
	for i, e := range epochs {
		given := map[string]string{}
		for k, v := range tinyRun {
			given[k] = v
		}
		given["epochs"] = e
		o := train.DefaultOptions()
		o.DataDir, o.OutDir, o.SampleEvery = data, filepath.Join(runs, name), 1
		require.NoError(t, train.Execute(context.Background(), train.Job{Given: given, Options: o, Resume: i > 0}))
	}
	return runs
}

// A run's history comes from its folder: after a restart of the server, and
// across a resume, its curves have no gap, with every epoch's figures and
// sample grid.
func TestARunsHistoryIsReadFromItsFolder(t *testing.T) {
	runs := ownRun(t, "resumed", "1", "2")
	for range 2 { // two servers, one after the other: a restart
		_, ts := newTestServer(t, runs)
		var h runHistory
		require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/resumed/history", &h))
		require.Equal(t, run.Finished, h.State)
		require.Len(t, h.Metrics, 2)
		require.Len(t, h.Points, 2*640/64/train.PointEvery)
		for i, p := range h.Points {
			require.Equal(t, uint64(train.PointEvery*(i+1)), p.Step, "no gap at the resume")
		}
		require.Len(t, h.Marks, 1)
		require.Equal(t, run.MarkResume, h.Marks[0].Kind)
		require.Equal(t, []sampleGrid{{1, "samples_epoch001.png"}, {2, "samples_epoch002.png"}}, h.Grids)
		require.InDelta(t, h.Metrics[0].Seconds+h.Metrics[1].Seconds, h.Seconds, 1e-9)
		require.True(t, h.Resumable, "a finished run continues with more epochs")
		require.Equal(t, http.StatusNotFound, get(t, ts.URL+"/api/runs/none/history", nil))
	}
}

// A long run's curve is thinned to what a chart can show: means of
// consecutive points, the last at the run's last step.
func TestThinningAveragesConsecutivePoints(t *testing.T) {
	ps := make([]run.Point, 10)
	for i := range ps {
		ps[i] = run.Point{Step: uint64(10 * (i + 1)), Loss: float64(i)}
	}
	got := thin(ps, 4)
	require.Len(t, got, 4)
	require.Equal(t, []float64{0.5, 3, 5.5, 8}, []float64{got[0].Loss, got[1].Loss, got[2].Loss, got[3].Loss})
	require.Equal(t, uint64(100), got[3].Step)
	require.Equal(t, ps, thin(ps, 10))
}

// The checkpoint downloads under the run's name.
func TestTheCheckpointDownloads(t *testing.T) {
	runs := fixture(t)
	_, ts := newTestServer(t, runs)
	res, err := http.Get(ts.URL + "/api/runs/tiny/checkpoint")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, `attachment; filename="tiny.ebm"`, res.Header.Get("Content-Disposition"))
	got, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(runs, "tiny", "checkpoint.ebm"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got))
	require.Equal(t, http.StatusNotFound, get(t, ts.URL+"/api/runs/none/checkpoint", nil))
}

// A run is deleted only when its name is typed, never while it trains, and
// never through a link out of the runs folder.
func TestDeletingARunTakesItsTypedName(t *testing.T) {
	runs := ownRun(t, "doomed", "1")
	_, ts := newTestServer(t, runs)
	del := func(name string, body any) (int, apiError) {
		var e apiError
		js, err := json.Marshal(body)
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodDelete, ts.URL+"/api/runs/"+name, bytes.NewReader(js))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
		return res.StatusCode, e
	}
	code, e := del("doomed", deleteRequest{Confirm: "doom"})
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, e.Error, `type the run's name, "doomed"`)
	require.DirExists(t, filepath.Join(runs, "doomed"))

	// Trained by another process: the lock refuses.
	lock, err := run.LockDir(filepath.Join(runs, "doomed"))
	require.NoError(t, err)
	code, e = del("doomed", deleteRequest{Confirm: "doomed"})
	lock.Release()
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, e.Error, "another process")

	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "keep"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(runs, "link")))
	code, _ = del("link", deleteRequest{Confirm: "link"})
	require.Equal(t, http.StatusBadRequest, code)
	require.FileExists(t, filepath.Join(outside, "keep"))

	code, _ = del("doomed", deleteRequest{Confirm: "doomed"})
	require.Equal(t, http.StatusOK, code)
	require.NoDirExists(t, filepath.Join(runs, "doomed"))
	code, _ = del("doomed", deleteRequest{Confirm: "doomed"})
	require.Equal(t, http.StatusNotFound, code)
}

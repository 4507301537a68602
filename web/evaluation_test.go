package web

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebm-project/ebm/run"
	"github.com/stretchr/testify/require"
)

// An evaluation from the page streams every stage's progress, then keeps
// eval.json and report.html in the run folder and says where the report is;
// the run's history lists it, and a second one does not replace it.
func TestEvaluationStreamsProgressAndWritesTheReport(t *testing.T) {
	runs := fixture(t)
	_, ts := newTestServer(t, runs)
	res, err := http.Post(ts.URL+"/api/runs/tiny/evaluate", "application/json", strings.NewReader(`{"samples": 100}`))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	got := lines(t, res.Body)
	stages := map[string]bool{}
	for _, m := range got[:len(got)-1] {
		stages[m["stage"].(string)] = true
	}
	require.Len(t, stages, 7, "%v", stages)
	last := got[len(got)-1]
	require.Equal(t, true, last["done"])
	evs := run.Dir(filepath.Join(runs, "tiny")).Evaluations()
	require.Len(t, evs, 1)
	require.Equal(t, "/api/runs/tiny/evaluations/"+evs[0].ID+"/report.html", last["report"])
	page, err := http.Get(ts.URL + last["report"].(string))
	require.NoError(t, err)
	page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Equal(t, "frame-ancestors 'self'", page.Header.Get("Content-Security-Policy"))

	res2, err := http.Post(ts.URL+"/api/runs/tiny/evaluate", "application/json", strings.NewReader(`{"samples": 200, "weights": "trained"}`))
	require.NoError(t, err)
	lines(t, res2.Body)
	res2.Body.Close()
	var h runHistory
	require.Equal(t, http.StatusOK, get(t, ts.URL+"/api/runs/tiny/history", &h))
	require.Len(t, h.Evaluations, 2)
	require.Equal(t, "trained", h.Evaluations[0].Weights, "newest first")
	require.Equal(t, 200, h.Evaluations[0].Generation.Samples)
	require.Equal(t, 100, h.Evaluations[1].Generation.Samples)
	require.Equal(t, 1, h.Evaluations[1].Epoch)
	require.Greater(t, h.Evaluations[1].Accuracy, 0.0)
	for _, bad := range []string{"/evaluations/" + evs[0].ID + "/checkpoint.ebm", "/evaluations/..%2F..%2Fx/eval.json", "/evaluations/20990101T000000Z/eval.json"} {
		require.Equal(t, http.StatusNotFound, get(t, ts.URL+"/api/runs/tiny"+bad, nil), bad)
	}
}

func TestEvaluationRefusesBadRequestsAndIsLimited(t *testing.T) {
	runs := fixture(t)
	s, ts := newTestServer(t, runs)
	for body, want := range map[string]int{`{"samples": 5}`: 400, `{"weights": "best"}`: 400, `{"sampels": 5}`: 400} {
		var e apiError
		res, err := http.Post(ts.URL+"/api/runs/tiny/evaluate", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
		res.Body.Close()
		require.Equal(t, want, res.StatusCode, body)
	}
	var e apiError
	require.Equal(t, http.StatusNotFound, post(t, ts.URL+"/api/runs/none/evaluate", evaluateRequest{}, &e))

	// The page goes away: the evaluation stops and frees its slot.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/api/runs/tiny/evaluate", strings.NewReader(`{"samples": 10000}`))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = res.Body.Read(buf)
	require.NoError(t, err)
	require.Len(t, s.evals, 1)
	require.Equal(t, http.StatusTooManyRequests, post(t, ts.URL+"/api/runs/tiny/evaluate", evaluateRequest{Samples: 100}, &e))
	require.Contains(t, e.Error, "evaluation is running")
	cancel()
	res.Body.Close()
	require.Eventually(t, func() bool { return len(s.evals) == 0 }, 10*time.Second, 10*time.Millisecond)
}

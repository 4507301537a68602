package web

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An evaluation from the page streams every stage's progress, then writes
// eval.json and report.html into the run folder and says where the report is.
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
	require.Equal(t, "/api/runs/tiny/files/report.html", last["report"])
	require.FileExists(t, filepath.Join(runs, "tiny", "eval.json"))
	page, err := http.Get(ts.URL + last["report"].(string))
	require.NoError(t, err)
	page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode)
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

package web

import (
	"net/http"
	"testing"

	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// Before a run starts, its time is estimated from its own steps, measured
// here: steps times the measured step, plus each epoch's validation.
func TestARunsTimeIsEstimatedFromItsOwnSteps(t *testing.T) {
	s, ts := newTestServer(t, fixture(t))
	settings := map[string]string{}
	for k, v := range tinyRun {
		settings[k] = v
	}
	settings["epochs"] = "3"
	var e train.Estimate
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/estimate", startRequest{Settings: settings}, &e))
	require.Equal(t, 3*640/64, e.Steps)
	require.Greater(t, e.StepSeconds, 0.0)
	require.Greater(t, e.ValidationSeconds, 0.0)
	require.InDelta(t, float64(e.Steps)*e.StepSeconds+3*e.ValidationSeconds, e.Seconds, 1e-9)

	var bad apiError
	settings["lr"] = "-1"
	require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/estimate", startRequest{Settings: settings}, &bad))
	require.Contains(t, bad.Error, "--lr")

	// While a training runs, the cores are its own.
	setRun := func(r *liveRun) {
		s.training.mu.Lock()
		defer s.training.mu.Unlock()
		s.training.run = r
	}
	setRun(&liveRun{Name: "busy", State: run.Running})
	require.Equal(t, http.StatusConflict, post(t, ts.URL+"/api/estimate", startRequest{}, &bad))
	require.Contains(t, bad.Error, "while a training runs")
	setRun(nil)
}

package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInfoAndBench(t *testing.T) {
	stdout, _, err := runCLI("info", "--json")
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	require.Contains(t, info, "active")
	require.Contains(t, info, "features")

	stdout, _, err = runCLI("bench", "--json", "--iters", "2", "--warmup", "0", "--langevin_steps", "2", "--batch_size", "8")
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Greater(t, res["iter_ms"].(float64), 0.0)
	require.Greater(t, res["iters_per_s"].(float64), 0.0)
	require.Positive(t, res["workers"].(float64))
	require.Equal(t, "784-512-512-512-10", res["arch"])

	stdout, _, err = runCLI("bench", "--json", "--iters", "1", "--warmup", "0", "--langevin_steps", "2", "--batch_size", "8",
		"--convs", "8c4s2p1", "--hidden", "")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, "28x28x1 8c4s2p1 1568-10", res["arch"])
	require.Greater(t, res["gflop_per_iter"].(float64), 0.0)
}

// info --estimate times both presets a user chooses between and
// extrapolates to their whole trainings on MNIST: 15 epochs of 937 steps
// each, plus 15 validations.
func TestInfoEstimatesBothPresets(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: times convolutional training steps, slow without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	stdout, _, err := runCLI("info", "--json", "--estimate")
	require.NoError(t, err)
	var info struct {
		Active    string `json:"active"`
		Estimates map[string]struct {
			StepSeconds       float64 `json:"step_seconds"`
			Steps             int     `json:"steps"`
			ValidationSeconds float64 `json:"validation_seconds"`
			Seconds           float64 `json:"seconds"`
		} `json:"estimates"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	require.NotEmpty(t, info.Active)
	for _, name := range []string{"default", "conv"} {
		e, ok := info.Estimates[name]
		require.True(t, ok, name)
		require.Equal(t, 15*(60000/64), e.Steps, name)
		require.Positive(t, e.StepSeconds, name)
		require.InDelta(t, float64(e.Steps)*e.StepSeconds+15*e.ValidationSeconds, e.Seconds, 1e-6*e.Seconds, name)
	}
	stdout, _, err = runCLI("info")
	require.NoError(t, err)
	require.NotContains(t, stdout, "a step", "without --estimate nothing is timed")
}

// Every command with --workers refuses a count outside the pool's bounds
// before it starts any work (info --estimate would time training steps).
func TestWorkersOutOfBoundsAreRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"info", "--estimate", "--workers", "-1"}, "--workers = -1"},
		{[]string{"bench", "--workers", "5000"}, "--workers = 5000"},
		{[]string{"train", "--workers", "-3", "--out_dir", t.TempDir()}, "--workers = -3"},
	} {
		_, _, err := runCLI(c.args...)
		require.ErrorContains(t, err, c.want, "%v", c.args)
		require.ErrorContains(t, err, "must be 0 (one per core) to 1024", "%v", c.args)
	}
}

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

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// `ebm sample` draws from a run's checkpoint: class-conditional chains of
// a given length, or by default chains as long as the run's chain length.
func TestSampleDrawsFromACheckpoint(t *testing.T) {
	run := trainedRun(t)
	ckpt := filepath.Join(run, "checkpoint.ebm")
	grid := filepath.Join(t.TempDir(), "grid.png")
	stdout, _, err := runCLI("sample", "--checkpoint", ckpt, "--class", "3", "--samples", "16", "--langevin_steps", "5", "--out", grid)
	require.NoError(t, err)
	require.Contains(t, stdout, "wrote 16 samples (5 steps from uniform)", "the run's own start")
	require.FileExists(t, grid)

	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(run, "metrics.jsonl"))), "\n")
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &m))
	stdout, _, err = runCLI("sample", "--checkpoint", ckpt, "--samples", "16", "--out", grid)
	require.NoError(t, err)
	require.Contains(t, stdout, fmt.Sprintf("(%d steps from", int(m["chain_steps_median"].(float64))))

	_, _, err = runCLI("sample", "--checkpoint", ckpt, "--weights", "best", "--out", grid)
	require.ErrorContains(t, err, `--weights "best": want ema or trained`)

	// Another start law is fitted to the run's training images: it needs
	// them.
	stdout, _, err = runCLI("sample", "--checkpoint", ckpt, "--samples", "16", "--langevin_steps", "1", "--chain_start", "class_gauss", "--data_dir", dataDir(t), "--out", grid)
	require.NoError(t, err)
	require.Contains(t, stdout, "(1 steps from class_gauss)")
	_, _, err = runCLI("sample", "--checkpoint", ckpt, "--chain_start", "class_gauss", "--data_dir", t.TempDir(), "--out", grid)
	require.ErrorContains(t, err, "--chain_start class_gauss is fitted to the run's training images")
	_, _, err = runCLI("sample", "--checkpoint", ckpt, "--chain_start", "bogus", "--out", grid)
	require.ErrorContains(t, err, `--chain_start = "bogus"`)
}

package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInpaintFillsHiddenHalves(t *testing.T) {
	data := dataDir(t)
	ckpt := filepath.Join(trainedRun(t), "checkpoint.ebm")
	out := filepath.Join(t.TempDir(), "inpaint.png")
	stdout, _, err := runCLI("inpaint", "--checkpoint", ckpt, "--data_dir", data, "--out", out, "--test_limit", "16", "--inpaint_steps", "2")
	require.NoError(t, err)
	require.Contains(t, stdout, "inpaint_accuracy")
	require.Contains(t, stdout, "on 16 test images")
	require.Contains(t, stdout, "from uniform, 2 steps", "the run's own start")
	require.FileExists(t, out)

	// The start law alone, fitted to the training images and conditioned
	// on each visible half: no steps.
	stdout, _, err = runCLI("inpaint", "--checkpoint", ckpt, "--data_dir", data, "--out", out, "--test_limit", "16", "--inpaint_steps", "0", "--chain_start", "class_gauss")
	require.NoError(t, err)
	require.Contains(t, stdout, "from class_gauss, 0 steps")
}

package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/internal/safetensors"
	"github.com/ebm-project/ebm/nn"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// export then import gives back the same network, bit for bit, as a run
// folder that opens like any other (finished, no moving average); import
// refuses a folder with a checkpoint, and a convolutional file that does
// not say its strides and padding. (bench/ checks both files against
// PyTorch itself.)
func TestExportImportRoundTrips(t *testing.T) {
	dir := t.TempDir()
	conv, err := nn.ConvArch(28, 28, 1, []nn.ConvSpec{{Channels: 4, K: 4, Stride: 2, Pad: 1}}, []int{8}, 10)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for name, c := range map[string]struct {
		arch  nn.Arch
		convs string
	}{"mlp": {nn.MLPArch(784, 16, 10), ""}, "conv": {conv, "4c4s2p1"}} {
		m, err := nn.New(c.arch, rng)
		require.NoError(t, err)
		r := train.DefaultRecipe()
		r.Convs, r.Hidden, r.Epochs = c.convs, c.arch.Sizes[1:len(c.arch.Sizes)-1], 3
		ckpt := filepath.Join(dir, name+".ebm")
		require.NoError(t, train.SaveModel(ckpt, r, m))
		st := filepath.Join(dir, name+".safetensors")
		out, _, err := runCLI("export", "--checkpoint", ckpt, "--out", st)
		require.NoError(t, err)
		require.Contains(t, out, "net.0.weight")
		runDir := filepath.Join(dir, name+"_run")
		_, _, err = runCLI("import", "--weights", st, "--out_dir", runDir)
		require.NoError(t, err)
		ck, err := train.LoadCheckpoint(filepath.Join(runDir, "checkpoint.ebm"))
		require.NoError(t, err)
		require.True(t, ck.Model.Arch.Equal(c.arch))
		for li := range m.Layers {
			require.Equal(t, m.Layers[li].W, ck.Model.Layers[li].W)
			require.Equal(t, m.Layers[li].B, ck.Model.Layers[li].B)
		}
		info, err := train.InspectRun(runDir)
		require.NoError(t, err)
		require.EqualValues(t, "finished", info.State)
		_, _, err = runCLI("import", "--weights", st, "--out_dir", runDir)
		require.ErrorContains(t, err, "already holds a checkpoint")
	}
	// A file from PyTorch has no metadata: a convolution's stride and
	// padding must be given.
	m, err := nn.New(conv, rng)
	require.NoError(t, err)
	f, err := os.Create(filepath.Join(dir, "plain.safetensors"))
	require.NoError(t, err)
	require.NoError(t, safetensors.Write(f, m.TorchTensors(), nil))
	require.NoError(t, f.Close())
	_, _, err = runCLI("import", "--weights", f.Name(), "--out_dir", filepath.Join(dir, "plain"))
	require.ErrorContains(t, err, "--convs")
	_, _, err = runCLI("import", "--weights", f.Name(), "--out_dir", filepath.Join(dir, "plain"), "--convs", "4c4s2p1")
	require.NoError(t, err)
	_, _, err = runCLI("import", "--weights", filepath.Join(dir, "missing.safetensors"), "--out_dir", filepath.Join(dir, "x"))
	require.ErrorContains(t, err, "--weights")
}

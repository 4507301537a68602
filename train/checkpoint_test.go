package train

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/langevin"
	"github.com/stretchr/testify/require"
)

func TestCheckpointRejectsDamage(t *testing.T) {
	tr, te := smallMNIST(t)
	tn := newTrainer(t, quickRecipe(), tr.Subset(128), te)
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ebm")
	require.NoError(t, SaveCheckpoint(path, tn))
	b, err := os.ReadFile(path)
	require.NoError(t, err)

	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-7],
		"trailing":  append(append([]byte(nil), b...), 0),
		"magic":     append([]byte("NOTACKPT"), b[8:]...),
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		_, err := LoadCheckpoint(p)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), p)
	}

	// Another shape is refused by Restore.
	other := quickRecipe()
	other.Hidden = []int{32}
	small := newTrainer(t, other, tr.Subset(128), te)
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.ErrorContains(t, ck.Restore(small), "holds the network 784-512-512-512-10, this run 784-32-10")
}

// A convolutional network's checkpoint describes it and loads as it was
// saved: the same network, parameters, moments and average.
func TestConvCheckpointRoundTrips(t *testing.T) {
	r := quickRecipe()
	r.Convs, r.Hidden = "8c4s2p1,16c4s2p1", []int{32}
	tn, path, b := savedCheckpoint(t, r)
	start := magicLen + 4 // the header follows the magic and its length
	header := b[start : start+int(binary.LittleEndian.Uint32(b[magicLen:]))]
	require.Contains(t, string(header), `"convs":[{"channels":8,"k":4,"stride":2,"pad":1},{"channels":16,"k":4,"stride":2,"pad":1}]`)
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.Equal(t, "28x28x1 8c4s2p1 16c4s2p1 784-32-10", ck.Model.Arch.String())
	require.Equal(t, tn.Model.Params(), ck.Trained.Params())
	require.Equal(t, tn.EMA.Params(), ck.Model.Params())
	again := newTrainer(t, r, tn.Train, tn.Test)
	require.NoError(t, ck.Restore(again))
	require.Equal(t, tn.Opt.M, again.Opt.M)
}

// magicLen is the length of a checkpoint's magic, EBMCKPT and a digit.
const magicLen = 8

// savedCheckpoint builds an untrained trainer for r on 128 images, saves
// it, and returns it with the checkpoint's path and bytes, for tests that
// rewrite a file into an older layout.
func savedCheckpoint(t *testing.T, r Recipe) (*Trainer, string, []byte) {
	tr, te := smallMNIST(t)
	tn := newTrainer(t, r, tr.Subset(128), te)
	path := filepath.Join(t.TempDir(), "saved.ebm")
	require.NoError(t, SaveCheckpoint(path, tn))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return tn, path, b
}

// asVersion rewrites a checkpoint into the layout of version 2 or 3: the
// same arrays, the header's recipe as the "config" those versions kept
// (decay under "ema", the run's options beside it), and edit applied to
// that config.
func asVersion(t *testing.T, path string, b []byte, version int, edit func(config map[string]any)) {
	n := binary.LittleEndian.Uint32(b[magicLen:])
	start := magicLen + 4
	var h map[string]any
	require.NoError(t, json.Unmarshal(b[start:start+int(n)], &h))
	config := h["recipe"].(map[string]any)
	delete(h, "recipe")
	config["ema"] = config["ema_decay"]
	delete(config, "ema_decay")
	config["data_dir"], config["out_dir"], config["workers"] = "/data", "runs/x", 2
	if edit != nil {
		edit(config)
	}
	h["config"] = config
	js, err := json.Marshal(h)
	require.NoError(t, err)
	out := binary.LittleEndian.AppendUint32(fmt.Appendf(nil, "EBMCKPT%d", version), uint32(len(js)))
	require.NoError(t, os.WriteFile(path, append(append(out, js...), b[start+int(n):]...), 0o644))
}

// A checkpoint of version 3 (the whole configuration in its header, the
// decay under "ema") loads with the same recipe and weights.
func TestVersion3CheckpointLoads(t *testing.T) {
	r := quickRecipe()
	tn, path, b := savedCheckpoint(t, r)
	asVersion(t, path, b, 3, nil)
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.Equal(t, r, ck.Recipe)
	require.True(t, ck.Averaged())
	require.Equal(t, tn.Model.Params(), ck.Trained.Params())
	require.Equal(t, tn.EMA.Params(), ck.Model.Params())
}

// A checkpoint of version 2 (no moving average) still loads: its one model
// is both the one to use and the one to train on, and a run with an
// average resumed from it starts its average at those weights.
func TestVersion2CheckpointLoads(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	r.EMADecay = 0
	tn, path, b := savedCheckpoint(t, r)
	// Without an average the arrays of version 2 are those of version 4.
	asVersion(t, path, b, 2, func(c map[string]any) { delete(c, "ema") })
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.False(t, ck.Averaged())
	require.Same(t, ck.Model, ck.Trained)
	require.Equal(t, tn.Model.Params(), ck.Model.Params())
	require.ErrorContains(t, ck.UseWeights("ema"), "no moving average")

	withEMA := r
	withEMA.EMADecay = 0.99
	tn2 := newTrainer(t, withEMA, tr.Subset(128), te)
	require.NoError(t, ck.Restore(tn2))
	require.Equal(t, tn.Model.Params(), tn2.EMA.Params())
	require.Zero(t, tn2.EMA.N)
}

// A checkpoint written before --gen_weight existed has no such key in its
// header; its run trained with weight 1, and it loads as such.
func TestHeaderWithoutGenWeightLoadsAsOne(t *testing.T) {
	r := quickRecipe()
	r.GenWeight = 3
	tn, path, b := savedCheckpoint(t, r)
	asVersion(t, path, b, 3, func(c map[string]any) {
		require.Equal(t, 3.0, c["gen_weight"], "the key was in the header")
		delete(c, "gen_weight")
	})
	ck, err := LoadCheckpoint(path)
	require.NoError(t, err)
	require.Equal(t, 1.0, ck.Recipe.GenWeight)
	require.Equal(t, tn.Model.Params(), ck.Trained.Params())
}

// Chains from noise run as long as the median buffer chain had when the
// checkpoint was written, and never shorter than one training chain.
func TestChainStepsFollowTheBuffer(t *testing.T) {
	tr, te := smallMNIST(t)
	r := quickRecipe()
	tn := newTrainer(t, r, tr.Subset(128), te)
	path := filepath.Join(t.TempDir(), "c.ebm")
	load := func() *Checkpoint {
		require.NoError(t, SaveCheckpoint(path, tn))
		ck, err := LoadCheckpoint(path)
		require.NoError(t, err)
		return ck
	}
	for i := range tn.Buffer.ChainSteps {
		tn.Buffer.ChainSteps[i] = 10 * (i % 7) // median 30
	}
	require.Equal(t, 30, load().ChainSteps())
	clear(tn.Buffer.ChainSteps) // a fresh buffer: one training chain
	require.Equal(t, r.LangevinSteps, load().ChainSteps())

	noBuffer := r
	noBuffer.BufferSize = 0
	noBuffer.LangevinSteps = 50
	tn = newTrainer(t, noBuffer, tr.Subset(128), te)
	require.Equal(t, 50, load().ChainSteps())
	ch := load().Chains(7)
	require.Equal(t, Chains{N: 7, Class: -1, Config: langevin.Config{Steps: 50, Alpha: float32(noBuffer.LangevinAlpha), Sigma: float32(noBuffer.LangevinSigma),
		Clamp: noBuffer.Clamp, Seed: 1}}, ch, "the run's own dynamics")
}

package train

import (
	"math"
	"testing"

	"github.com/ebm-project/ebm/internal/pool"
	"github.com/ebm-project/ebm/mnist"
	"github.com/stretchr/testify/require"
)

func TestRecipeValidationNamesTheFlag(t *testing.T) {
	for flag, mutate := range map[string]func(*Recipe){
		"--epochs":            func(r *Recipe) { r.Epochs = 0 },
		"--batch_size":        func(r *Recipe) { r.BatchSize = -1 },
		"--langevin_steps":    func(r *Recipe) { r.LangevinSteps = 0 },
		"--langevin_sigma":    func(r *Recipe) { r.LangevinSigma = -0.1 },
		"--langevin_alpha":    func(r *Recipe) { r.LangevinAlpha = math.NaN() },
		"--lr":                func(r *Recipe) { r.LR = 0 },
		"--buffer_reinit":     func(r *Recipe) { r.BufferReinit = 2 },
		"--hidden":            func(r *Recipe) { r.Hidden = []int{3, 0} },
		"--ema_decay":         func(r *Recipe) { r.EMADecay = 1 },
		"--gen_weight":        func(r *Recipe) { r.GenWeight = -1 },
		"--sam_rho":           func(r *Recipe) { r.SAMRho = math.Inf(1) },
		"--langevin_max_step": func(r *Recipe) { r.LangevinMaxStep = -0.1 },
		"--shift_ce_only":     func(r *Recipe) { r.Shift, r.ShiftCEOnly = 0, true },
		"--guard_energy":      func(r *Recipe) { r.GuardEnergy = -1 },
		"--max_rollbacks":     func(r *Recipe) { r.MaxRollbacks = 101 },
		"--warmup_steps":      func(r *Recipe) { r.WarmupSteps = -1 },
		"--convs":             func(r *Recipe) { r.Convs = "32c3" },
		"--shift":             func(r *Recipe) { r.Shift = 5 },
	} {
		r := DefaultRecipe()
		mutate(&r)
		require.ErrorContains(t, r.Validate(), flag)
	}
	// Whether convolutions fit depends on the images: 28 -> 14 -> 7 -> 3 ->
	// 1, and a fifth 4x4 kernel does not fit; on 64x64 images it does.
	r := DefaultRecipe()
	r.Convs = "8c4s2p1,8c4s2p1,8c4s2p1,8c4s2p1,8c4s2p1"
	require.NoError(t, r.Validate())
	_, err := r.Arch(mnist.MNISTShape, 10)
	require.ErrorContains(t, err, `--convs "8c4s2p1,8c4s2p1,8c4s2p1,8c4s2p1,8c4s2p1" on 28x28x1 images: convolution 5`)
	_, err = r.Arch(mnist.Shape{Rows: 64, Cols: 64, Channels: 3}, 10)
	require.NoError(t, err)
	for _, p := range Presets {
		r, err := PresetRecipe(p.Name)
		require.NoError(t, err)
		require.NoError(t, r.Validate(), p.Name)
	}
	_, err = PresetRecipe("fast")
	require.ErrorContains(t, err, `--preset "fast"`)
}

func TestOptionsValidationNamesTheFlag(t *testing.T) {
	ok := Options{DataDir: t.TempDir(), OutDir: "x", SampleEvery: 1}
	require.NoError(t, ok.Validate())
	for flag, mutate := range map[string]func(*Options){
		"--data_dir":     func(o *Options) { o.DataDir = "" },
		"--out_dir":      func(o *Options) { o.OutDir = "" },
		"--workers":      func(o *Options) { o.Workers = -1 },
		"--sample_every": func(o *Options) { o.SampleEvery = 0 },
	} {
		o := ok
		mutate(&o)
		require.ErrorContains(t, o.Validate(), flag)
	}
	o := ok
	o.Workers = pool.MaxWorkers + 1 // not a machine, a typo: refused before any allocation
	require.ErrorContains(t, o.Validate(), "--workers")
}

// The presets are the original script's and JEM's settings, each stated as
// its differences from the default.
func TestPresetsDifferFromTheDefaultOnlyWhereTheyMust(t *testing.T) {
	changed := func(name string) map[string]any {
		r, err := PresetRecipe(name)
		require.NoError(t, err)
		d := DefaultRecipe()
		out := map[string]any{}
		for i, s := range Settings(&r) {
			if s.String() != Settings(&d)[i].String() {
				out[s.Key] = s.Value()
			}
		}
		return out
	}
	require.Empty(t, changed("default"))
	require.Equal(t, map[string]any{"langevin_steps": 50, "langevin_alpha": 0.5, "langevin_sigma": 0.05, "buffer_size": 0,
		"data_noise": 0.0, "ema_decay": 0.0, "clamp": false, "lr_schedule": "constant", "warmup_steps": 0}, changed("original"))
	require.Equal(t, map[string]any{"epochs": 8, "lr": 1e-4, "data_noise": 0.0, "ema_decay": 0.0, "clamp": false,
		"lr_schedule": "constant", "warmup_steps": 1000}, changed("jem"))
	require.Equal(t, map[string]any{"convs": "32c4s2p1,64c4s2p1,128c3s2p1", "hidden": []int{256}, "gen_weight": 0.25, "shift": 2,
		"shift_ce_only": true, "chain_start": "class_gauss", "ood_score": "gradnorm"}, changed("conv"))
}

// The learning rate warms up linearly, then follows a cosine to 5%.
func TestLearningRateSchedule(t *testing.T) {
	r := DefaultRecipe()
	r.WarmupSteps = 10
	require.InDelta(t, r.LR*0.1, r.LRAt(0, 1000)/(0.05+0.95*0.5*(1+1)), 1e-12)
	require.InDelta(t, r.LR, r.LRAt(10, 1e9), 1e-9, "after warmup, at the start of the cosine")
	require.InDelta(t, 0.05*r.LR, r.LRAt(1000, 1000), 1e-12, "the end of the cosine")
	r.LRSchedule = "constant"
	require.Equal(t, r.LR, r.LRAt(500, 1000))
}

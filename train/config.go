// Package train trains a joint energy-based model (JEM): one MLP f whose
// softmax classifies, p(y|x) = softmax f(x), and whose log-sum-exp is a
// negative energy, E(x) = -logsumexp_y f(x)[y], E(x,y) = -f(x)[y]. The loss
//
//	CE(f(x_real), y) + w*(mean E(x_real) - mean E(x_sample)) + lambda*mean(E_real^2 + E_sample^2)
//
// lowers the energy of data and raises that of Langevin samples.
package train

import (
	"fmt"
	"math"
)

// Config is everything that defines a run. Field tags are the JSON keys of
// the run's config.json and mirror the command-line flags.
type Config struct {
	Epochs        int     `json:"epochs"`
	BatchSize     int     `json:"batch_size"`
	LangevinSteps int     `json:"langevin_steps"`
	LangevinAlpha float64 `json:"langevin_alpha"`
	LangevinSigma float64 `json:"langevin_sigma"`
	LR            float64 `json:"lr"`
	LRSchedule    string  `json:"lr_schedule"`  // "cosine" (to 5% of lr at the end) or "constant"
	WarmupSteps   int     `json:"warmup_steps"` // linear learning-rate warmup
	Hidden        []int   `json:"hidden"`
	BufferSize    int     `json:"buffer_size"`   // 0: every chain starts from noise
	BufferReinit  float64 `json:"buffer_reinit"` // share of buffer chains restarted from noise
	ClassCond     bool    `json:"class_cond"`    // training chains sample p(x|y) with E(x,y), y balanced over classes
	EnergyReg     float64 `json:"energy_reg"`    // lambda of the E^2 regulariser
	GenWeight     float64 `json:"gen_weight"`    // w, the weight of mean E(real) - mean E(sample) against the cross-entropy
	ClipNorm      float64 `json:"clip_norm"`     // 0: no gradient clipping
	DataNoise     float64 `json:"data_noise"`    // std of Gaussian noise added to real images
	EMA           float64 `json:"ema"`           // decay of the weights' moving average that evaluation and sampling use (0: off)
	Clamp         bool    `json:"clamp"`         // clamp samples to [-1,1]
	Seed          uint64  `json:"seed"`
	Workers       int     `json:"workers"`
	SampleEvery   int     `json:"sample_every"`
	GuardEnergy   float64 `json:"guard_energy"`   // roll back when |mean E| of a batch exceeds this (0: off)
	GuardAccDrop  float64 `json:"guard_acc_drop"` // roll back when validation accuracy falls this far below its best (0: off)
	MaxRollbacks  int     `json:"max_rollbacks"`  // divergences recovered from before the run stops
	TrainLimit    int     `json:"train_limit"`    // use the first N training images (0: all)
	TestLimit     int     `json:"test_limit"`     // use the first N test images (0: all)
	DataDir       string  `json:"data_dir"`
	OutDir        string  `json:"out_dir"`
	LogFile       string  `json:"log_file"`
	Download      bool    `json:"download"`
}

// Default is the configuration `ebm train` uses without flags: JEM's
// sampler (replay buffer, SGLD step 1, noise 0.01, 20 steps, data noise 0.03)
// with a classifier's learning rate (1e-3, warmup, cosine decay), clamped
// chains and a moving average of the weights (decay 0.999) for evaluation
// and sampling. No E^2 regulariser: it pins sample energies at
// 1/(2*lambda), and chains from noise that land there stall on a flat
// plateau (measured: a third of them at lambda 0.1; see README).
func Default() Config {
	return Config{
		Epochs:        15,
		BatchSize:     64,
		LangevinSteps: 20,
		LangevinAlpha: 1,
		LangevinSigma: 0.01,
		LR:            1e-3,
		LRSchedule:    "cosine",
		WarmupSteps:   500,
		Hidden:        []int{512, 512, 512},
		BufferSize:    10000,
		BufferReinit:  0.05,
		EnergyReg:     0,
		GenWeight:     1,
		ClipNorm:      0,
		DataNoise:     0.03,
		EMA:           0.999,
		Clamp:         true,
		Seed:          1,
		Workers:       0,
		SampleEvery:   5,
		GuardEnergy:   1000,
		GuardAccDrop:  0.2,
		MaxRollbacks:  3,
		LogFile:       "ebm_training.log",
		OutDir:        "runs/ebm",
		Download:      true,
	}
}

// Original is the original script's configuration under the corrected
// energy sign: 50 Langevin steps from noise, alpha 0.5, sigma 0.05.
func Original() Config {
	c := Default()
	c.LangevinSteps = 50
	c.LangevinAlpha = 0.5
	c.LangevinSigma = 0.05
	c.BufferSize = 0
	c.EnergyReg = 0
	c.GenWeight = 1 // both terms weighed equally, as in the recipe
	c.DataNoise = 0
	c.EMA = 0
	c.Clamp = false
	c.LRSchedule = "constant"
	c.WarmupSteps = 0
	return c
}

// JEM is JEM's published recipe (Grathwohl et al.) as the reference run A of
// the evaluation issue used it: replay buffer of 10,000 with 5% restarts,
// SGLD step 1 and noise 0.01 for 20 steps, Adam at 1e-4 for 8 epochs, no
// energy regulariser, no clamping, constant learning rate after a warmup.
func JEM() Config {
	c := Default()
	c.Epochs = 8
	c.LangevinSteps = 20
	c.LangevinAlpha = 1
	c.LangevinSigma = 0.01
	c.LR = 1e-4
	c.BufferSize = 10000
	c.BufferReinit = 0.05
	c.EnergyReg = 0
	c.GenWeight = 1 // both terms weighed equally, as in the recipe
	c.DataNoise = 0
	c.EMA = 0
	c.Clamp = false
	c.LRSchedule = "constant"
	c.WarmupSteps = 1000
	return c
}

// Preset returns a named starting configuration.
func Preset(name string) (Config, error) {
	switch name {
	case "default":
		return Default(), nil
	case "original":
		return Original(), nil
	case "jem":
		return JEM(), nil
	}
	return Config{}, fmt.Errorf("--preset %q: want default, original or jem", name)
}

// Validate names the first bad field.
func (c Config) Validate() error {
	pos := []struct {
		name string
		v    int
	}{{"epochs", c.Epochs}, {"batch_size", c.BatchSize}, {"langevin_steps", c.LangevinSteps}, {"sample_every", c.SampleEvery}}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("--%s = %d: must be positive", p.name, p.v)
		}
	}
	nonneg := []struct {
		name string
		v    float64
	}{{"langevin_alpha", c.LangevinAlpha}, {"langevin_sigma", c.LangevinSigma}, {"buffer_reinit", c.BufferReinit},
		{"energy_reg", c.EnergyReg}, {"clip_norm", c.ClipNorm}, {"data_noise", c.DataNoise}}
	for _, p := range nonneg {
		if p.v < 0 || math.IsNaN(p.v) || math.IsInf(p.v, 0) {
			return fmt.Errorf("--%s = %v: must be a finite number >= 0", p.name, p.v)
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"lr", c.LR}, {"gen_weight", c.GenWeight}} {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("--%s = %v: must be a finite number > 0", p.name, p.v)
		}
	}
	if !(c.EMA >= 0 && c.EMA < 1) {
		return fmt.Errorf("--ema = %v: must be in [0, 1) (0: off)", c.EMA)
	}
	if c.BufferReinit > 1 {
		return fmt.Errorf("--buffer_reinit = %v: must be at most 1", c.BufferReinit)
	}
	if c.LRSchedule != "cosine" && c.LRSchedule != "constant" {
		return fmt.Errorf("--lr_schedule = %q: want cosine or constant", c.LRSchedule)
	}
	if c.WarmupSteps < 0 {
		return fmt.Errorf("--warmup_steps = %d: must be >= 0", c.WarmupSteps)
	}
	if c.BufferSize < 0 {
		return fmt.Errorf("--buffer_size = %d: must be >= 0 (0 starts every chain from noise)", c.BufferSize)
	}
	if c.GuardEnergy < 0 || c.GuardAccDrop < 0 || c.MaxRollbacks < 0 {
		return fmt.Errorf("--guard_energy = %v, --guard_acc_drop = %v, --max_rollbacks = %d: must be >= 0", c.GuardEnergy, c.GuardAccDrop, c.MaxRollbacks)
	}
	if c.Workers < 0 {
		return fmt.Errorf("--workers = %d: must be >= 0 (0: one per core)", c.Workers)
	}
	if c.TrainLimit < 0 || c.TestLimit < 0 {
		return fmt.Errorf("--train_limit = %d, --test_limit = %d: must be >= 0", c.TrainLimit, c.TestLimit)
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("--hidden: size %d is %d: must be positive", i, h)
		}
	}
	if c.OutDir == "" {
		return fmt.Errorf("--out_dir is empty")
	}
	return nil
}

// LRAt is the learning rate of step (0-based) out of total: linear warmup,
// then constant or cosine decay to 5% of LR.
func (c Config) LRAt(step, total int) float64 {
	lr := c.LR
	if step < c.WarmupSteps {
		lr *= float64(step+1) / float64(c.WarmupSteps)
	}
	if c.LRSchedule == "cosine" && total > 0 {
		frac := min(1, float64(step)/float64(total))
		lr *= 0.05 + 0.95*0.5*(1+math.Cos(math.Pi*frac))
	}
	return lr
}

// Sizes is the MLP's layer widths for images of dim pixels and 10 classes.
func (c Config) Sizes(dim int) []int {
	return append(append([]int{dim}, c.Hidden...), 10)
}

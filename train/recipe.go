package train

import (
	"errors"
	"math"
	"slices"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// Recipe is what defines a run: a checkpoint keeps it, and a resumed run
// continues under it (only Epochs may be raised). Each field's JSON key is
// its flag, its key in config.json and in the log; help is the flag's text.
type Recipe struct {
	Epochs          int     `json:"epochs" help:"training epochs"`
	BatchSize       int     `json:"batch_size" help:"real images per step, and as many Langevin chains"`
	LangevinSteps   int     `json:"langevin_steps" help:"SGLD steps per training step"`
	LangevinAlpha   float64 `json:"langevin_alpha" help:"SGLD step size alpha: x -= alpha*grad E(x)"`
	LangevinSigma   float64 `json:"langevin_sigma" help:"SGLD noise scale sigma: x += sigma*N(0,1)"`
	LangevinMaxStep float64 `json:"langevin_max_step" help:"proximal SGLD (JEM++'s PYLD): each pixel's gradient move alpha*grad E is clipped to [-d, d] (0: off)"`
	LR              float64 `json:"lr" help:"Adam learning rate"`
	LRSchedule      string  `json:"lr_schedule" help:"learning-rate schedule: cosine (decays to 5% of --lr) or constant"`
	WarmupSteps     int     `json:"warmup_steps" help:"steps of linear learning-rate warmup"`
	Convs           string  `json:"convs" help:"convolutions in front of the hidden layers, comma-separated, each channels c kernel s stride p padding: 32c3s1p1,64c4s2p1 (empty: none, an MLP)"`
	Hidden          []int   `json:"hidden" help:"hidden layer widths, comma-separated"`
	BufferSize      int     `json:"buffer_size" help:"replay buffer slots (0: every chain starts from noise)"`
	BufferReinit    float64 `json:"buffer_reinit" help:"share of drawn buffer chains restarted from their start (--chain_start)"`
	ChainStart      string  `json:"chain_start" help:"where training chains start and restart: uniform (noise in [-1,1]) or class_gauss (JEM++'s informative start: a Gaussian fitted to each class's training images)"`
	ClassCond       bool    `json:"class_cond" help:"training chains sample p(x|y) from E(x,y) = -f(x)[y], classes balanced over the buffer's slots"`
	EnergyReg       float64 `json:"energy_reg" help:"lambda of the regulariser lambda*mean(E_real^2 + E_sample^2) (0: off)"`
	GenWeight       float64 `json:"gen_weight" help:"w, the weight of the generative term w*(mean E(x_real) - mean E(x_sample)) against the cross-entropy (0: a plain classifier, no chains)"`
	SAMRho          float64 `json:"sam_rho" help:"sharpness-aware minimisation (SADA-JEM): each step's gradient is taken again at w + rho*g/|g| and that one applied (0: off)"`
	ClipNorm        float64 `json:"clip_norm" help:"clip the gradient norm to this (0: off)"`
	DataNoise       float64 `json:"data_noise" help:"standard deviation of Gaussian noise added to real training images (0: off)"`
	Shift           int     `json:"shift" help:"move each real training image by up to this many pixels each way, at random (0: off)"`
	ShiftCEOnly     bool    `json:"shift_ce_only" help:"the moved images (--shift) train the cross-entropy only; the generative term sees them unmoved, so p(x) models digits where MNIST has them (one more pass of the batch; with --gen_weight 0 the cross-entropy is all there is, and it is --shift)"`
	EMADecay        float64 `json:"ema_decay" help:"decay of the moving average of the weights that evaluation and sampling use (0: off)"`
	Clamp           bool    `json:"clamp" help:"clamp samples to [-1,1] after each Langevin step"`
	OODScore        string  `json:"ood_score" help:"the score ebm eval reports as the model's out-of-distribution score (ood_score_auroc): logpx, maxsoftmax or gradnorm; declared before the runs it judges"`
	Seed            uint64  `json:"seed" help:"seeds every random stream of the run"`
	GuardEnergy     float64 `json:"guard_energy" help:"divergence guard: a batch whose mean |E| exceeds this counts as diverged (0: off)"`
	GuardAccDrop    float64 `json:"guard_acc_drop" help:"divergence guard: validation accuracy this far below its best counts as diverged (0: off)"`
	MaxRollbacks    int     `json:"max_rollbacks" help:"divergences recovered from (roll back the epoch, halve the lr, restart the buffer) before the run stops"`
	TrainLimit      int     `json:"train_limit" help:"use only the first N training images (0: all)"`
	TestLimit       int     `json:"test_limit" help:"use only the first N test images (0: all)"`
}

// DefaultRecipe is what `ebm train` runs without flags: JEM's sampler
// (replay buffer, SGLD step 1, noise 0.01, 20 steps, data noise 0.03) at a
// classifier's learning rate (1e-3, warmup, cosine decay), clamped chains
// and a moving average of the weights for evaluation and sampling. No E^2
// regulariser: it pins sample energies at 1/(2*lambda), where chains from
// noise stall on a flat plateau (docs/experiments.md).
func DefaultRecipe() Recipe {
	return Recipe{
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
		ChainStart:    "uniform",
		GenWeight:     1,
		DataNoise:     0.03,
		EMADecay:      0.999,
		Clamp:         true,
		OODScore:      "logpx",
		Seed:          1,
		GuardEnergy:   1000,
		GuardAccDrop:  0.2,
		MaxRollbacks:  3,
	}
}

// maxShift bounds --shift: a digit moved further leaves its 28x28 frame.
const maxShift = 4

// OODScores are the out-of-distribution scores ebm eval computes: log p(x)
// up to a constant (-E(x)), the largest class probability, and minus the
// norm of grad_x log p(x).
var OODScores = []string{"logpx", "maxsoftmax", "gradnorm"}

// ChainStarts are the laws a training chain starts from (--chain_start).
var ChainStarts = []string{"uniform", "class_gauss"}

// Preset is a named starting recipe: the default with some settings changed.
type Preset struct {
	Name, Help string
	change     func(*Recipe)
}

// Presets lists the starting recipes of `ebm train --preset`.
var Presets = []Preset{
	{"default", "the default recipe", func(*Recipe) {}},
	{"original", "the original script's settings under the corrected energy sign: 50 SGLD steps from noise, alpha 0.5, sigma 0.05, no buffer, no data noise, constant lr, no weight average", func(r *Recipe) {
		r.LangevinSteps = 50
		r.LangevinAlpha = 0.5
		r.LangevinSigma = 0.05
		r.BufferSize = 0
		r.DataNoise = 0
		r.EMADecay = 0
		r.Clamp = false
		r.LRSchedule = "constant"
		r.WarmupSteps = 0
	}},
	{"jem", "JEM's published recipe (Grathwohl et al.): the default's sampler unclamped, Adam at 1e-4 after 1000 warmup steps, constant, 8 epochs, no data noise, no weight average", func(r *Recipe) {
		r.Epochs = 8
		r.LR = 1e-4
		r.DataNoise = 0
		r.EMADecay = 0
		r.Clamp = false
		r.LRSchedule = "constant"
		r.WarmupSteps = 1000
	}},
	{"conv", "a convolutional energy that classifies like a classifier and samples near the data: three convolutions at stride 2 (32, 64 and 128 channels; 28x28 -> 14x14 -> 7x7 -> 4x4), a hidden layer of 256, then the outputs; generative weight 0.25, shifts of up to 2 pixels in the classifier's term only, chains started from a Gaussian fitted to each class (JEM++); its declared OOD score is the gradient norm", func(r *Recipe) {
		r.Convs = "32c4s2p1,64c4s2p1,128c3s2p1"
		r.Hidden = []int{256}
		r.GenWeight = 0.25
		r.Shift = 2
		r.ShiftCEOnly = true
		r.ChainStart = "class_gauss"
		r.OODScore = "gradnorm"
	}},
}

// PresetRecipe returns the named starting recipe ("" is the default).
func PresetRecipe(name string) (Recipe, error) {
	if name == "" {
		name = "default"
	}
	var names []string
	for _, p := range Presets {
		if p.Name == name {
			r := DefaultRecipe()
			p.change(&r)
			return r, nil
		}
		names = append(names, p.Name)
	}
	return Recipe{}, bad("preset", "--preset %q: want one of %v", name, names)
}

// Validate names every bad setting, each a *SettingError naming its flag
// (joined: errors.As finds the first; a form shows each by its field).
func (r Recipe) Validate() error {
	var errs []error
	for _, p := range []struct {
		name string
		v    int
	}{{"epochs", r.Epochs}, {"batch_size", r.BatchSize}, {"langevin_steps", r.LangevinSteps}} {
		if p.v <= 0 {
			errs = append(errs, bad(p.name, "--%s = %d: must be positive", p.name, p.v))
		}
	}
	if r.Shift < 0 || r.Shift > maxShift {
		errs = append(errs, bad("shift", "--shift = %d: must be in [0, %d]", r.Shift, maxShift))
	}
	if r.ShiftCEOnly && r.Shift == 0 {
		errs = append(errs, bad("shift_ce_only", "--shift_ce_only needs --shift > 0"))
	}
	if r.Epochs > streams.MaxEpochs {
		errs = append(errs, bad("epochs", "--epochs = %d: at most %d", r.Epochs, streams.MaxEpochs))
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"langevin_alpha", r.LangevinAlpha}, {"langevin_sigma", r.LangevinSigma}, {"buffer_reinit", r.BufferReinit},
		{"energy_reg", r.EnergyReg}, {"clip_norm", r.ClipNorm}, {"data_noise", r.DataNoise},
		{"gen_weight", r.GenWeight}, {"sam_rho", r.SAMRho}, {"langevin_max_step", r.LangevinMaxStep},
		{"guard_energy", r.GuardEnergy}, {"guard_acc_drop", r.GuardAccDrop}} {
		if p.v < 0 || math.IsNaN(p.v) || math.IsInf(p.v, 0) {
			errs = append(errs, bad(p.name, "--%s = %v: must be a finite number >= 0", p.name, p.v))
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"lr", r.LR}} {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			errs = append(errs, bad(p.name, "--%s = %v: must be a finite number > 0", p.name, p.v))
		}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"warmup_steps", r.WarmupSteps}, {"buffer_size", r.BufferSize}, {"train_limit", r.TrainLimit}, {"test_limit", r.TestLimit}} {
		if p.v < 0 {
			errs = append(errs, bad(p.name, "--%s = %d: must be >= 0 (0: %s)", p.name, p.v, map[string]string{
				"warmup_steps": "no warmup", "buffer_size": "every chain starts from noise", "train_limit": "all", "test_limit": "all"}[p.name]))
		}
	}
	if !(r.EMADecay >= 0 && r.EMADecay < 1) {
		errs = append(errs, bad("ema_decay", "--ema_decay = %v: must be in [0, 1) (0: off)", r.EMADecay))
	}
	if r.BufferReinit > 1 {
		errs = append(errs, bad("buffer_reinit", "--buffer_reinit = %v: must be at most 1", r.BufferReinit))
	}
	if !slices.Contains(OODScores, r.OODScore) {
		errs = append(errs, bad("ood_score", "--ood_score = %q: want one of %v", r.OODScore, OODScores))
	}
	if !slices.Contains(ChainStarts, r.ChainStart) {
		errs = append(errs, bad("chain_start", "--chain_start = %q: want one of %v", r.ChainStart, ChainStarts))
	}
	if r.LRSchedule != "cosine" && r.LRSchedule != "constant" {
		errs = append(errs, bad("lr_schedule", "--lr_schedule = %q: want cosine or constant", r.LRSchedule))
	}
	if r.MaxRollbacks < 0 || r.MaxRollbacks > streams.MaxRollbacks {
		errs = append(errs, bad("max_rollbacks", "--max_rollbacks = %d: must be in [0, %d]", r.MaxRollbacks, streams.MaxRollbacks))
	}
	if r.TrainLimit > 0 && r.BatchSize > r.TrainLimit {
		errs = append(errs, bad("batch_size", "--batch_size = %d: larger than the %d training images --train_limit keeps", r.BatchSize, r.TrainLimit))
	}
	for i, h := range r.Hidden {
		if h <= 0 {
			errs = append(errs, bad("hidden", "--hidden: size %d is %d: must be positive", i, h))
			break
		}
	}
	if _, err := nn.ParseConvs(r.Convs); err != nil {
		errs = append(errs, bad("convs", "--convs %q: %v", r.Convs, err))
	}
	return errors.Join(errs...)
}

// Dynamics is the recipe's Langevin dynamics as the sampler takes them:
// its chain length, step size, noise, clamp and seed (workers are the
// run's option, not the recipe's).
func (r Recipe) Dynamics() langevin.Config {
	return langevin.Config{Steps: r.LangevinSteps, Alpha: float32(r.LangevinAlpha), Sigma: float32(r.LangevinSigma),
		MaxStep: float32(r.LangevinMaxStep), Clamp: r.Clamp, Seed: r.Seed}
}

// LRAt is the learning rate of step (0-based) out of total: linear warmup,
// then constant or cosine decay to 5% of LR.
func (r Recipe) LRAt(step, total int) float64 {
	lr := r.LR
	if step < r.WarmupSteps {
		lr *= float64(step+1) / float64(r.WarmupSteps)
	}
	if r.LRSchedule == "cosine" && total > 0 {
		frac := min(1, float64(step)/float64(total))
		lr *= 0.05 + 0.95*0.5*(1+math.Cos(math.Pi*frac))
	}
	return lr
}

// Arch is the network of the recipe for images of shape s in classes
// classes: the convolutions, the hidden layers, one output per class. An
// MLP records the shape when it is not MNIST's (whose checkpoints never
// held one).
func (r Recipe) Arch(s mnist.Shape, classes int) (nn.Arch, error) {
	convs, err := nn.ParseConvs(r.Convs)
	if err != nil {
		return nn.Arch{}, bad("convs", "--convs %q: %v", r.Convs, err)
	}
	if len(convs) == 0 {
		a := nn.MLPArch(append(append([]int{s.Dim()}, r.Hidden...), classes)...)
		if s != mnist.MNISTShape {
			a.Shape = []int{s.Rows, s.Cols, s.Channels}
		}
		return a, nil
	}
	a, err := nn.ConvArch(s.Rows, s.Cols, s.Channels, convs, r.Hidden, classes)
	if err != nil {
		return nn.Arch{}, bad("convs", "--convs %q on %v images: %v", r.Convs, s, err)
	}
	return a, nil
}

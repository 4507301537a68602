// Package langevin draws samples from an energy-based model by stochastic
// gradient Langevin dynamics (SGLD):
//
//	x_{t+1} = x_t - alpha * grad_x E(x_t) + sigma * eps,  eps ~ N(0, I)
//
// Chains are independent, so a batch is cut into fixed-size shards that
// workers run in parallel, each with its own scratch buffers and random
// streams derived from (seed, round, shard): the step's noise comes from
// kernels.NoisyStep's counter-based generator, with the step as the
// counter. The shards, not the workers, decide the arithmetic: a seed gives
// bit-identical samples whatever the number of workers or GOMAXPROCS.
package langevin

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ebm-project/ebm/internal/pool"
	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/kernels"
)

// Energy is the model being sampled. It hands out one Evaluator per worker.
type Energy interface {
	// Dim is the length of one sample.
	Dim() int
	// NewEvaluator returns scratch space for batches of up to n chains.
	NewEvaluator(n int) Evaluator
}

// Evaluator computes energies and their input gradients for a batch.
type Evaluator interface {
	// EnergyGrad evaluates the len(e) chains stored row-major in x: e[i] =
	// E(x_i), or E(x_i, y[i]) when y is not nil, and grad[i*Dim:] = the
	// gradient of that energy with respect to x_i.
	EnergyGrad(x []float32, y []int, e, grad []float32) error
}

// Config sets the dynamics.
type Config struct {
	Steps     int     // K, Langevin steps per call
	Alpha     float32 // the gradient step
	Sigma     float32 // the noise scale
	MaxStep   float32 // d: the largest gradient move of a pixel in one step (0: unbounded)
	Clamp     bool    // clamp samples to [-1,1] after every step
	Seed      uint64  // root of every random stream
	Workers   int     // goroutines (0: one per core); results do not depend on it
	ShardSize int     // chains per shard (default 32); results depend on it
}

func (c Config) validate() error {
	switch {
	case c.Steps < 0:
		return fmt.Errorf("langevin: steps = %d: must not be negative", c.Steps)
	case c.Alpha < 0 || isBad(c.Alpha):
		return fmt.Errorf("langevin: alpha = %v: must be finite and non-negative", c.Alpha)
	case c.Sigma < 0 || isBad(c.Sigma):
		return fmt.Errorf("langevin: sigma = %v: must be finite and non-negative", c.Sigma)
	case c.MaxStep < 0 || isBad(c.MaxStep):
		return fmt.Errorf("langevin: max step = %v: must be finite and non-negative (0: unbounded)", c.MaxStep)
	case c.Workers < 0 || c.Workers > pool.MaxWorkers:
		return fmt.Errorf("langevin: workers = %d: must be 0 (one per core) to %d", c.Workers, pool.MaxWorkers)
	case c.ShardSize < 1:
		return fmt.Errorf("langevin: shard size = %d: must be positive", c.ShardSize)
	}
	return nil
}

func isBad(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

// DefaultShardSize keeps shards large enough for efficient matrix products
// and small enough that a batch of 64 feeds two cores.
const DefaultShardSize = 32

// Sampler runs SGLD with a fixed pool of workers. It is not safe for
// concurrent use; Close stops the workers.
type Sampler struct {
	cfg     Config
	dim     int
	pool    *pool.Pool
	workers []*worker // per-worker scratch, indexed by the pool's worker number
	shardFn func(worker, shard int)

	// The batch of the current Run, read by the workers.
	ctx   context.Context
	x     []float32
	y     []int
	e     []float32
	n     int
	round uint64
	init  bool
	mask  []bool // per dimension: false keeps the value fixed (nil: all move)
	done  atomic.Int64
	errMu sync.Mutex
	err   error

	progress func(done, total int)
}

type worker struct {
	s     *Sampler
	ev    Evaluator
	grad  []float32
	e     []float32
	noise []float32 // the SGLD noise of a masked run
	src   *rand.PCG // the chains' starting noise
	rng   *rand.Rand
}

// New starts cfg.Workers workers sampling from energy. The pool is the one
// owner of the cores: 0 workers means one per core (GOMAXPROCS).
func New(energy Energy, cfg Config) (*Sampler, error) {
	if cfg.ShardSize == 0 {
		cfg.ShardSize = DefaultShardSize
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	s := &Sampler{cfg: cfg, dim: energy.Dim(), pool: pool.New(cfg.Workers)}
	for range cfg.Workers {
		src := rand.NewPCG(0, 0)
		w := &worker{s: s, ev: energy.NewEvaluator(cfg.ShardSize), src: src, rng: rand.New(src),
			grad: make([]float32, cfg.ShardSize*s.dim), noise: make([]float32, cfg.ShardSize*s.dim), e: make([]float32, cfg.ShardSize)}
		s.workers = append(s.workers, w)
	}
	s.shardFn = s.runShard
	return s, nil
}

// Workers is the number of worker goroutines.
func (s *Sampler) Workers() int { return s.pool.Size() }

// Parallel runs f(worker, task) for every task in [0, tasks) on the
// sampler's workers: other work of the same computation (a training
// step's gradients and update) runs on the same goroutines as its chains,
// so one pool owns the cores. Not during Run; f should be made once.
func (s *Sampler) Parallel(tasks int, f func(worker, task int)) { s.pool.Run(tasks, f) }

// SetDynamics changes steps, alpha and sigma for later calls.
func (s *Sampler) SetDynamics(steps int, alpha, sigma float32) error {
	c := s.cfg
	c.Steps, c.Alpha, c.Sigma = steps, alpha, sigma
	if err := c.validate(); err != nil {
		return err
	}
	s.cfg = c
	return nil
}

// SetProgress makes later runs call f(shards done, shards) after each
// shard, from the workers: f must be safe for concurrent use and quick.
// nil stops the calls.
func (s *Sampler) SetProgress(f func(done, total int)) { s.progress = f }

// Close stops the workers.
func (s *Sampler) Close() { s.pool.Close() }

// Run advances the n = len(x)/Dim chains in x by cfg.Steps steps, in place.
// With fromNoise, x is first overwritten with uniform noise in [-1,1]. y
// selects class-conditional energies E(x, y) (nil: E(x)). energies, if not
// nil, receives E at the final step's start for each chain. round must differ
// between calls that should draw different noise (a training step counter).
func (s *Sampler) Run(x []float32, y []int, energies []float32, fromNoise bool, round uint64) error {
	return s.RunContext(context.Background(), x, y, energies, fromNoise, round)
}

// RunContext is Run that stops early, with ctx's error, once ctx is done;
// the chains are then partly advanced.
func (s *Sampler) RunContext(ctx context.Context, x []float32, y []int, energies []float32, fromNoise bool, round uint64) error {
	if len(x)%s.dim != 0 {
		return fmt.Errorf("langevin: %d values is not a whole number of samples of %d", len(x), s.dim)
	}
	n := len(x) / s.dim
	if y != nil && len(y) != n {
		return fmt.Errorf("langevin: %d labels for %d chains", len(y), n)
	}
	if energies != nil && len(energies) != n {
		return fmt.Errorf("langevin: %d energy slots for %d chains", len(energies), n)
	}
	s.ctx, s.x, s.y, s.e, s.n, s.round, s.init = ctx, x, y, energies, n, round, fromNoise
	s.done.Store(0)
	s.err = nil
	s.pool.Run(s.shards(), s.shardFn)
	s.ctx, s.x, s.y, s.e = nil, nil, nil, nil
	return s.err
}

func (s *Sampler) shards() int { return (s.n + s.cfg.ShardSize - 1) / s.cfg.ShardSize }

// runShard advances shard sh's chains on worker wk's scratch space.
func (s *Sampler) runShard(wk, sh int) {
	w := s.workers[wk]
	cfg, dim := s.cfg, s.dim
	if s.failed() {
		return
	}
	lo := sh * cfg.ShardSize
	hi := min(s.n, lo+cfg.ShardSize)
	rows := hi - lo
	x := s.x[lo*dim : hi*dim]
	var y []int
	if s.y != nil {
		y = s.y[lo:hi]
	}
	if s.init {
		w.src.Seed(streams.ShardSeed(cfg.Seed, s.round, uint64(sh)))
		for i := range x {
			x[i] = float32(2*w.rng.Float64() - 1)
		}
	}
	key, stream := streams.LangevinNoise(cfg.Seed, s.round, sh)
	floor, ceil := float32(math.Inf(-1)), float32(math.Inf(1))
	if cfg.Clamp {
		floor, ceil = -1, 1
	}
	e, g := w.e[:rows], w.grad[:rows*dim]
	for k := range cfg.Steps {
		if err := s.ctx.Err(); err != nil {
			s.fail(err)
			return
		}
		if err := w.ev.EnergyGrad(x, y, e, g); err != nil {
			s.fail(err)
			return
		}
		if cfg.MaxStep > 0 && cfg.Alpha > 0 {
			clipGrad(g, cfg.MaxStep/cfg.Alpha)
		}
		if s.mask != nil {
			w.maskedUpdate(x, g, floor, ceil, key, stream, uint64(k))
			continue
		}
		// x -= alpha*grad E; x += sigma*N(0,1); clamp: one vector pass.
		if err := kernels.NoisyStep(x, g, cfg.Alpha, cfg.Sigma, floor, ceil, key, stream, uint64(k)); err != nil {
			s.fail(err)
			return
		}
	}
	if s.e != nil {
		if cfg.Steps == 0 {
			if err := w.ev.EnergyGrad(x, y, e, g); err != nil {
				s.fail(err)
				return
			}
		}
		copy(s.e[lo:hi], e)
	}
	if s.progress != nil {
		s.progress(int(s.done.Add(1)), s.shards())
	}
}

// clipGrad clips every component of g to [-c, c], so that alpha*g moves no
// pixel by more than alpha*c.
func clipGrad(g []float32, c float32) {
	for i, v := range g {
		g[i] = min(max(v, -c), c)
	}
}

// maskedUpdate is the SGLD update on the dimensions the mask frees, with
// the noise NoisyStep would add.
func (w *worker) maskedUpdate(x, g []float32, lo, hi float32, key uint64, stream uint32, step uint64) {
	cfg, dim := w.s.cfg, w.s.dim
	n := w.noise[:len(x)]
	kernels.Normal(n, key, stream, step)
	for r := 0; r < len(x); r += dim {
		for j, free := range w.s.mask {
			if free {
				x[r+j] = min(max(x[r+j]-cfg.Alpha*g[r+j]+cfg.Sigma*n[r+j], lo), hi)
			}
		}
	}
}

// SetMask restricts later runs to the dimensions where mask is true (for
// inpainting: the hidden pixels); the others keep their values. nil frees
// every dimension.
func (s *Sampler) SetMask(mask []bool) error {
	if mask != nil && len(mask) != s.dim {
		return fmt.Errorf("langevin: mask of %d for samples of %d", len(mask), s.dim)
	}
	s.mask = mask
	return nil
}

// failed reports whether a shard of this run has failed: the others stop.
func (s *Sampler) failed() bool {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err != nil
}

func (s *Sampler) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
}

// Package streams is the table of every random stream the product draws
// from, so that a reader can see in one place that no two of them collide
// (TestStreamsNeverCollide checks it over the ranges stated here).
//
// A stream is either a PCG seeded with two words, rand.NewPCG(a, b), or a
// Langevin round: langevin.Sampler.Run(..., round) draws shard s's starting
// noise from the PCG ShardSeed(seed, round, s) and its SGLD noise from the
// Philox stream LangevinNoise(seed, round, s) (kernels.Normal), so distinct
// rounds of one sampler draw distinct noise. Streams only need to be
// distinct within one context (a training run, one `ebm sample`, one
// evaluation); every context starts from its own --seed.
//
// The numbers are those the committed results were made with: changing one
// changes every figure measured since.
package streams

// splitmix is SplitMix64's output function: a bijection of 64-bit words
// that scatters nearby inputs.
func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// ShardSeed seeds the PCG of shard s's starting noise in a round.
func ShardSeed(seed, round, shard uint64) (uint64, uint64) {
	return splitmix(seed ^ splitmix(round)), splitmix(shard + 0x9e3779b97f4a7c15*splitmix(round+1))
}

// LangevinNoise is the Philox key and stream of shard s's SGLD noise in a
// round; the step within the round is the counter. The key is a bijection
// of the round (for one seed), and shards are streams below DataStream, so
// no two (round, shard, step) share a counter.
func LangevinNoise(seed, round uint64, shard int) (key uint64, stream uint32) {
	return splitmix(seed ^ splitmix(round)), uint32(shard)
}

// DataNoise is the Philox key and stream of a training step's data noise;
// the step is the counter. Its stream is above every shard's.
func DataNoise(seed uint64) (key uint64, stream uint32) { return splitmix(seed ^ 0xb0ff), DataStream }

// DataStream is the Philox stream of data noise: a shard's stream number
// never reaches it.
const DataStream = 0xffffffff

// Training run: PCG streams rand.NewPCG(seed, key). The keys differ in
// their low byte: 0x6c, 0x66, 0x5e, and 0xd1..0xff or 0x00..0x34 for
// rollbacks.
const (
	ModelInit  = 0x6d6f64656c // "model": the initial weights
	BufferInit = 0x627566     // "buf": the replay buffer's first noise
)

// EpochOrder keys the shuffle of epoch e (1-based): e<<8 | 0x5e.
func EpochOrder(epoch int) uint64 { return uint64(epoch)<<8 | 0x5e }

// MaxRollbacks bounds --max_rollbacks, so that Rollback's keys stay clear of
// the low byte 0x5e of EpochOrder.
const MaxRollbacks = 100

// Rollback keys the noise that rollback n (1..MaxRollbacks) refills the
// replay buffer with: 0xbad0 + n.
func Rollback(n int) uint64 { return 0xbad0 + uint64(n) }

// Step seeds the PCG of training step s: its data noise and buffer draws.
// Its first word is seed ^ 0xb0ff, never the run's seed, so it is disjoint
// from the streams above.
func Step(seed, step uint64) (uint64, uint64) { return seed ^ 0xb0ff, step }

// MaxEpochs bounds --epochs so that sample-grid rounds stay below
// FinalGridRound.
const MaxEpochs = 1<<20 - 1

// Langevin rounds of a training run.
const (
	// TrainRound(step) = step: each training step's chains, steps < 1<<62.
	gridBase = 1 << 62
	// FinalGridRound: the chains of samples_final.png in a run without a
	// buffer, beyond every epoch's grid.
	FinalGridRound = gridBase + 1<<20
)

// TrainRound is the round of training step s's chains.
func TrainRound(step uint64) uint64 { return step }

// GridRound is the round of the chains of an epoch's sample grid in a run
// without a replay buffer (with one, the grid shows buffer slots).
func GridRound(epoch int) uint64 { return gridBase + uint64(epoch) }

// `ebm sample`: one round of chains from noise under its own --seed.
const SampleRound = 0

// Evaluation (`ebm eval`, `ebm inpaint`) under the evaluation's --seed.
const (
	OODNoise     = 0x00d // PCG(seed, key): the uniform and Gaussian OOD images
	InpaintNoise = 0x1a  // PCG(seed, key): the noise put into the hidden halves
	InpaintSeed  = 0x1a  // the inpainting sampler runs under seed ^ InpaintSeed

	UncondRound  = 1   // chains from noise for FID and coverage
	CondRound    = 2   // class-conditional chains
	InpaintRound = 3   // inpainting chains (under their own seed as well)
	FramesRound  = 100 // + frame (1..MaxFrames): the chain animation, one round a frame (frame 0 is round 101 run for no steps)
	MaxFrames    = 20
)

// EvalStart keys the draws of chains from a start law other than uniform
// noise (`ebm eval`, `ebm inpaint` and `ebm sample` with a run's
// --chain_start): PCG(seed ^ EvalStart, round), the round of the chains
// they start.
const EvalStart = 0x7374617274 // "start"

// The web app's dreams (`ebm serve`) under the seed each request carries:
// frame f's chains run in round f (frame 0 is their start), and the pixels
// an inpainting fills start from PCG(seed, InpaintNoise).

// The judge (`ebm classifier`, eval.ClassifierRecipe) under its recipe's
// seed: PCG(seed, 1) draws the initial weights and PCG(seed, epoch) each
// epoch's order and shifts, so epoch 1 shares the initial weights' stream.
// The committed judge was trained so (its SHA-256 is pinned); the overlap
// couples two sets of draws of one fixed training, and is kept rather than
// retrain the judge that every committed figure was scored by.
const (
	JudgeInit = 1
)

// JudgeEpoch keys the judge's epoch e (1-based).
func JudgeEpoch(epoch int) uint64 { return uint64(epoch) }

// `ebm bench`: its synthetic images and labels, PCG(BenchSeed, BenchData);
// `ebm info --estimate`'s training and test images, PCG(BenchSeed,
// EstimateTrain) and PCG(BenchSeed, EstimateTest). Timing does not depend
// on them.
const (
	BenchSeed     = 1
	BenchData     = 2
	EstimateTrain = 3
	EstimateTest  = 4
)

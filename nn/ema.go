package nn

import "fmt"

// EMA keeps an exponential moving average of a model's parameters (Polyak
// averaging). After update n it holds
//
//	avg = d*avg + (1-d)*w,  d = min(Decay, (1+n)/(10+n))
//
// The warm-up of d keeps the average of a short run from being dominated by
// the initial weights.
type EMA struct {
	Decay float64
	N     int // updates so far
	avg   *Net
	dirty bool // avg's derived weights are stale

	chunks     []chunk
	m          *Net    // the update in progress
	c          float32 // its weight of the new parameters
	updateTask func(worker, task int)
}

// NewEMA starts an average at m's current parameters.
func NewEMA(m *Net, decay float64) (*EMA, error) {
	if !(decay > 0 && decay < 1) {
		return nil, fmt.Errorf("nn: ema decay %v: must be in (0, 1)", decay)
	}
	avg, err := New(m.Arch, nil)
	if err != nil {
		return nil, err
	}
	e := &EMA{Decay: decay, avg: avg, chunks: chunksOf(m.Params())}
	e.updateTask = e.updateChunk
	e.Set(m.Params(), 0)
	return e, nil
}

// DecayAt is the factor of update n (0-based).
func (e *EMA) DecayAt(n int) float64 {
	return min(e.Decay, float64(1+n)/float64(10+n))
}

// Update folds m's parameters into the average. It does not allocate.
func (e *EMA) Update(m *Net) { e.UpdateParallel(m, nil) }

// UpdateParallel is Update on the pool run (nil: serial); the result is
// the same.
func (e *EMA) UpdateParallel(m *Net, run Parallel) {
	e.m, e.c = m, float32(1-e.DecayAt(e.N))
	each(run, len(e.chunks), e.updateTask)
	e.m = nil
	e.N++
	e.dirty = true
}

func (e *EMA) updateChunk(_, t int) {
	ch := e.chunks[t]
	p := e.m.params[ch.param][ch.lo:ch.hi]
	a := e.avg.params[ch.param][ch.lo:ch.hi]
	c := e.c
	for j, w := range p {
		a[j] += c * (w - a[j])
	}
}

// Set makes the average equal to params (laid out as Net.Params) after n
// updates: restoring a snapshot or a checkpoint.
func (e *EMA) Set(params [][]float32, n int) {
	for i, p := range params {
		copy(e.avg.params[i], p)
	}
	e.N = n
	e.dirty = true
}

// Model is the averaged model, ready for Forward.
func (e *EMA) Model() *Net {
	if e.dirty {
		e.avg.Sync()
		e.dirty = false
	}
	return e.avg
}

// Params are the averaged parameters, laid out as Net.Params; read only.
func (e *EMA) Params() [][]float32 { return e.avg.params }

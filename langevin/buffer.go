package langevin

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Buffer is a persistent replay buffer of samples (as in JEM): each training
// step continues chains drawn from it, restarting a fraction of them from
// their start (uniform noise unless Start says otherwise), and writes the
// results back.
type Buffer struct {
	Dim    int
	Data   []float32 // Size x Dim
	Labels []int     // class of each slot, for class-conditional sampling
	// ChainSteps counts the Langevin steps each slot's chain has run since
	// it last started from noise.
	ChainSteps []int
	Reinit     float64 // probability that a drawn slot restarts
	Start      Start   // where chains start and restart; nil: Uniform
	idx        []int
}

// NewBuffer fills size slots with uniform noise in [-1,1]; labels are
// assigned round-robin over classes.
func NewBuffer(size, dim, classes int, reinit float64, rng *rand.Rand) (*Buffer, error) {
	return NewBufferFrom(size, dim, classes, reinit, nil, rng)
}

// NewBufferFrom is NewBuffer with the slots started, and later restarted,
// from start (nil: uniform noise), each slot from its label's law.
func NewBufferFrom(size, dim, classes int, reinit float64, start Start, rng *rand.Rand) (*Buffer, error) {
	if size <= 0 || dim <= 0 {
		return nil, fmt.Errorf("langevin: buffer size %d, dim %d: both must be positive", size, dim)
	}
	if reinit < 0 || reinit > 1 {
		return nil, fmt.Errorf("langevin: buffer reinit = %v: must be in [0,1]", reinit)
	}
	b := &Buffer{Dim: dim, Data: make([]float32, size*dim), Labels: make([]int, size), ChainSteps: make([]int, size), Reinit: reinit, Start: start}
	for i := range b.Labels {
		b.Labels[i] = i % max(1, classes)
	}
	b.Restart(rng)
	return b, nil
}

// Restart starts every slot's chain again from its start.
func (b *Buffer) Restart(rng *rand.Rand) {
	start := b.start()
	for k, c := range b.Labels {
		start.Fill(b.Data[k*b.Dim:(k+1)*b.Dim], c, rng)
	}
	clear(b.ChainSteps)
}

func (b *Buffer) start() Start {
	if b.Start == nil {
		return Uniform{}
	}
	return b.Start
}

// Size is the number of slots.
func (b *Buffer) Size() int { return len(b.Labels) }

// Draw copies n random slots into x (n x Dim) and their labels into y (if
// not nil), restarting each from its start with probability Reinit. It
// remembers the slots for Store.
func (b *Buffer) Draw(x []float32, y []int, rng *rand.Rand) {
	n := len(x) / b.Dim
	if cap(b.idx) < n {
		b.idx = make([]int, n)
	}
	b.idx = b.idx[:n]
	for i := range n {
		k := rng.IntN(b.Size())
		b.idx[i] = k
		dst := x[i*b.Dim : (i+1)*b.Dim]
		if rng.Float64() < b.Reinit {
			b.start().Fill(dst, b.Labels[k], rng)
			b.ChainSteps[k] = 0
		} else {
			copy(dst, b.Data[k*b.Dim:(k+1)*b.Dim])
		}
		if y != nil {
			y[i] = b.Labels[k]
		}
	}
}

// Store writes x back into the slots of the last Draw, whose chains have
// run steps more Langevin steps.
func (b *Buffer) Store(x []float32, steps int) {
	for i, k := range b.idx {
		copy(b.Data[k*b.Dim:(k+1)*b.Dim], x[i*b.Dim:(i+1)*b.Dim])
		b.ChainSteps[k] += steps
	}
}

// MedianChainSteps is how many Langevin steps a typical chain in the buffer
// has run since it last started from noise: the length of chain training
// sees most, logged so that runs can be compared on it.
func (b *Buffer) MedianChainSteps() int { return MedianSteps(b.ChainSteps) }

// MedianSteps is the median of step counts (the upper one of an even
// number), leaving steps in its order; 0 for none.
func MedianSteps(steps []int) int {
	if len(steps) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(steps))
	return s[len(s)/2]
}

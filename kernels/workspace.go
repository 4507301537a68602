package kernels

import (
	"runtime"
	"sync"
	"unsafe"
)

// workspace holds the packing buffers of one single-threaded GEMM call.
type workspace[E element] struct {
	a, b []E        // packed panels, 64-byte aligned
	tmp  []E        // one MR x NR tile for edges
	t    []E        // C^T of narrow transposed-A products, swapChunk columns at a time
	ct   []E        // C^T of NT products with few rows (gemmRowsNT)
	offs [maxMR]int // a gathered tile's row offsets (here, not on the stack: the kernel is called through a func value)
}

// bPanelsLen is the length of a workspace's B panels.
const bPanelsLen = (ncBlock + maxNR) * kcBlock

// swapChunk is how many rows of C a narrow transposed-A product computes
// at a time (as columns of C^T).
const swapChunk = 1024

func newWorkspace[E element]() *workspace[E] {
	return &workspace[E]{
		a:   aligned[E]((mcBlock + maxMR) * kcBlock),
		b:   aligned[E](bPanelsLen),
		tmp: aligned[E](maxMR * maxNR),
		t:   aligned[E](dotMaxN * swapChunk),
		ct:  aligned[E](directMaxM * ncBlock),
	}
}

// idleList keeps the workspaces of finished calls for the next ones. Not a
// sync.Pool: that keeps one list per P and empties at every collection, so a
// warm caller still allocated whenever the scheduler moved its goroutines
// or a collection ran. This list allocates only when more products run at
// once than ever before, so a training step that is warm stays
// allocation-free. It keeps at most maxIdle workspaces (1.9 MB each in
// float32); beyond that a finished workspace is left to the collector.
type idleList[E element] struct {
	mu   sync.Mutex
	idle []*workspace[E]
}

var (
	maxIdle = max(8, 2*runtime.NumCPU())
	idle32  = idleList[float32]{idle: make([]*workspace[float32], 0, maxIdle)}
	idle64  = idleList[float64]{idle: make([]*workspace[float64], 0, maxIdle)}
)

// idle returns the idle list of element type E.
func idle[E element]() *idleList[E] {
	var z E
	if unsafe.Sizeof(z) == 4 {
		return any(&idle32).(*idleList[E])
	}
	return any(&idle64).(*idleList[E])
}

func (l *idleList[E]) get() *workspace[E] {
	l.mu.Lock()
	if n := len(l.idle); n > 0 {
		ws := l.idle[n-1]
		l.idle = l.idle[:n-1]
		l.mu.Unlock()
		return ws
	}
	l.mu.Unlock()
	return newWorkspace[E]()
}

func (l *idleList[E]) put(ws *workspace[E]) {
	l.mu.Lock()
	if len(l.idle) < cap(l.idle) {
		l.idle = append(l.idle, ws)
	}
	l.mu.Unlock()
}

func aligned[E element](n int) []E {
	var z E
	size := int(unsafe.Sizeof(z))
	s := make([]E, n+64/size)
	off := (64 - int(uintptr(unsafe.Pointer(&s[0]))%64)) % 64 / size
	return s[off : off+n : off+n]
}

// Package pool is the one owner of the cores: a fixed set of worker
// goroutines that run a batch of numbered tasks at a time. The Langevin
// sampler and the training step both run on one pool, so a training never
// has more busy goroutines than the pool has workers.
//
// A task that fails does not take the pool down with it: a panic, or a
// runtime.Goexit (a failing require or t.FailNow in a test), ends the batch
// and is passed on to the goroutine that called Run, where a handler's
// recover or the test can see it, instead of killing the process or leaving
// Run waiting for a worker that is gone.
package pool

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool runs tasks on its workers. Run is not safe for concurrent use:
// one batch at a time.
type Pool struct {
	workers int
	wake    []chan struct{}
	wg      sync.WaitGroup

	// The batch of the current Run, read by the workers.
	f      func(worker, task int)
	tasks  int64
	next   atomic.Int64
	failed atomic.Pointer[failure] // the batch's first failed task
}

// failure is how a task ended abnormally: a panic's value, or Goexit.
type failure struct {
	value  any
	goexit bool
}

// MaxWorkers bounds the workers a caller may ask for: each holds its own
// scratch space (a Langevin shard's activations, a few MB), so a count far
// past any machine's cores is a mistake to refuse, not memory to allocate.
const MaxWorkers = 1024

// New starts a pool of n workers (0: one per core, GOMAXPROCS).
func New(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: n}
	for w := range n {
		ch := make(chan struct{})
		p.wake = append(p.wake, ch)
		go p.loop(w, ch)
	}
	return p
}

// Size is the number of workers.
func (p *Pool) Size() int { return p.workers }

// Run calls f(worker, task) once for every task in [0, tasks) and returns
// when all have returned. Workers take tasks in order as they become free;
// the worker number (0 to Size()-1) lets f use per-worker scratch space,
// and which worker runs a task must not change its result. Run allocates
// nothing: f should be a func value made once, not a new closure per call.
//
// If a task panics, Run panics with the same value once every worker has
// stopped; if a task calls runtime.Goexit, Run calls it too. The tasks not
// yet started are skipped either way, and the pool stays usable.
func (p *Pool) Run(tasks int, f func(worker, task int)) {
	if tasks <= 0 {
		return
	}
	p.f, p.tasks = f, int64(tasks)
	p.next.Store(0)
	active := min(p.workers, tasks)
	p.wg.Add(active)
	for _, ch := range p.wake[:active] {
		ch <- struct{}{}
	}
	p.wg.Wait()
	p.f = nil
	if fl := p.failed.Swap(nil); fl != nil {
		if fl.goexit {
			runtime.Goexit()
		}
		panic(fl.value)
	}
}

func (p *Pool) loop(w int, wake chan struct{}) {
	for range wake {
		p.batch(w, wake)
	}
}

// batch runs tasks until none is left. A task that panics or exits its
// goroutine ends the batch; after a Goexit, a new goroutine takes this
// worker's place, since this one is ending.
func (p *Pool) batch(w int, wake chan struct{}) {
	returned := false
	defer func() {
		if !returned {
			v := recover() // nil only for Goexit: panic(nil) is a *runtime.PanicNilError
			p.failed.CompareAndSwap(nil, &failure{value: v, goexit: v == nil})
			p.next.Store(p.tasks)
			if v == nil {
				go p.loop(w, wake)
			}
		}
		p.wg.Done()
	}()
	for {
		t := p.next.Add(1) - 1
		if t >= p.tasks {
			break
		}
		p.f(w, int(t))
	}
	returned = true
}

// Close stops the workers.
func (p *Pool) Close() {
	for _, ch := range p.wake {
		close(ch)
	}
}

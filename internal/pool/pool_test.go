package pool

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebm-project/ebm/internal/allocs"
	"github.com/stretchr/testify/require"
)

// Every task runs exactly once, on a worker numbered within the pool.
func TestRunCallsEveryTaskOnce(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		p := New(n)
		require.Equal(t, n, p.Size())
		for _, tasks := range []int{0, 1, 3, 100} {
			counts := make([]atomic.Int32, tasks)
			var bad atomic.Bool
			p.Run(tasks, func(w, task int) {
				if w < 0 || w >= n {
					bad.Store(true)
				}
				counts[task].Add(1)
			})
			require.False(t, bad.Load())
			for i := range counts {
				require.EqualValues(t, 1, counts[i].Load(), "workers %d, task %d of %d", n, i, tasks)
			}
		}
		p.Close()
	}
}

// A batch allocates nothing when its func value is made once.
func TestRunDoesNotAllocate(t *testing.T) {
	p := New(2)
	defer p.Close()
	var sum atomic.Int64
	f := func(_, task int) { sum.Add(int64(task)) }
	n := allocs.PerRun(100, func() { p.Run(8, f) })
	require.Zero(t, n)
	require.Positive(t, sum.Load())
}

// A task that panics ends the batch: Run re-raises the panic on the
// caller's goroutine (a handler's recover sees it), and the pool still runs
// the next batch whole.
func TestPanicInATaskReachesTheCaller(t *testing.T) {
	p := New(2)
	defer p.Close()
	for range 3 {
		v := func() (v any) {
			defer func() { v = recover() }()
			p.Run(100, func(_, task int) {
				if task == 7 {
					panic("task 7 failed")
				}
			})
			return nil
		}()
		require.Equal(t, "task 7 failed", v)
		var ran atomic.Int32
		p.Run(50, func(_, _ int) { ran.Add(1) })
		require.EqualValues(t, 50, ran.Load())
	}
}

// A task that calls runtime.Goexit, as a failing require does in a test,
// ends the caller's goroutine too instead of leaving Run waiting for ever;
// a new worker replaces the one that exited.
func TestGoexitInATaskEndsTheCaller(t *testing.T) {
	for _, workers := range []int{1, 2} {
		p := New(workers)
		for range 3 {
			returned, done := false, make(chan struct{})
			go func() {
				defer close(done)
				p.Run(10, func(_, task int) {
					if task == 3 {
						runtime.Goexit()
					}
				})
				returned = true
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run still waits for a worker that exited")
			}
			require.False(t, returned, "Run returned as if the batch had succeeded")
			var ran atomic.Int32
			p.Run(20, func(_, _ int) { ran.Add(1) })
			require.EqualValues(t, 20, ran.Load(), "workers %d", workers)
		}
		p.Close()
	}
}

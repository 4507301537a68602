package pool

import (
	"sync/atomic"
	"testing"

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

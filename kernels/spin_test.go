package kernels

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Split products handed between goroutines by the spinning helpers give
// the serial product's bits, however many products run at once and
// however few processors there are; afterwards the helpers leave.
func TestSplitProductsShareHelpersAndLeave(t *testing.T) {
	const m, n, k = 64, 256, 96 // above parallelMinFlops: really split
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	want := make([]float32, m*n)
	require.NoError(t, Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n))

	products := func(callers, each, workers int) {
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := make([]float32, m*n)
				for range each {
					clear(c)
					if err := SgemmParallel(workers, false, false, m, n, k, 1, a, k, b, n, 0, c, n); err != nil {
						t.Error(err)
						return
					}
					if !equalBits(c, want) {
						t.Error("a split product differs from the serial one")
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	products(8, 40, 3)

	prev := runtime.GOMAXPROCS(1)
	done := make(chan struct{})
	go func() {
		products(2, 10, 4)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("split products on one processor did not finish")
	}
	runtime.GOMAXPROCS(prev)

	require.Eventually(t, func() bool {
		for i := range helperSlots {
			if helperSlots[i].state.Load() != slotEmpty {
				return false
			}
		}
		return true
	}, 5*time.Second, time.Millisecond, "every helper leaves once no product comes")
}

func equalBits(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
			return false
		}
	}
	return true
}

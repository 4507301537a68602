// Package allocs measures a hot path's allocations in steady state, for the
// tests that promise a step allocates nothing.
package allocs

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// PerRun is testing.AllocsPerRun with the collector held off while it
// measures. A collection empties the runtime's own caches (the records a
// goroutine parks on while it waits for the worker pool, for one), and the
// next wait refills them: memory the runtime reuses, not memory a step asks
// for, and whether a collection lands inside the window is up to the
// scheduler. Without the collector the count is the step's alone.
func PerRun(runs int, f func()) float64 {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	return testing.AllocsPerRun(runs, f)
}

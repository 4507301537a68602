//go:build race

package nn

// The race detector makes sync.Pool drop objects at random, so allocation
// counts mean nothing in race builds.
const raceEnabled = true

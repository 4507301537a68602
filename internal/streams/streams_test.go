package streams

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type pcg struct{ a, b uint64 }

// Within one training run every PCG stream is seeded differently, over the
// whole range of epochs and rollbacks a run may have and the first 200,000
// steps; and the Langevin rounds of steps, epoch grids and the final grid
// lie in disjoint ranges.
func TestStreamsNeverCollide(t *testing.T) {
	for _, seed := range []uint64{0, 1, 0xb0ff, 1 << 63} {
		seen := map[pcg]string{}
		add := func(p pcg, what string) {
			if prev, ok := seen[p]; ok {
				t.Fatalf("seed %d: %s and %s share the stream %x", seed, what, prev, p)
			}
			seen[p] = what
		}
		add(pcg{seed, ModelInit}, "model init")
		add(pcg{seed, BufferInit}, "buffer init")
		for e := 1; e <= 100000; e++ {
			add(pcg{seed, EpochOrder(e)}, "epoch order")
		}
		for n := 1; n <= MaxRollbacks; n++ {
			add(pcg{seed, Rollback(n)}, "rollback")
		}
		for s := uint64(0); s < 200000; s++ {
			a, b := Step(seed, s)
			add(pcg{a, b}, "step")
		}
	}
	// Low bytes keep epoch orders apart from everything else for any epoch.
	for n := 1; n <= MaxRollbacks; n++ {
		require.NotEqual(t, uint64(0x5e), Rollback(n)&0xff)
	}
	require.Less(t, TrainRound(1<<62-1), GridRound(1))
	require.Less(t, GridRound(MaxEpochs), uint64(FinalGridRound))

	// An evaluation's rounds are distinct.
	rounds := map[uint64]bool{UncondRound: true, CondRound: true, InpaintRound: true}
	for f := 1; f <= MaxFrames; f++ {
		require.False(t, rounds[FramesRound+uint64(f)])
		rounds[FramesRound+uint64(f)] = true
	}
	require.Len(t, rounds, 3+MaxFrames)
	require.NotEqual(t, uint64(OODNoise), uint64(InpaintNoise))

	// Philox streams of one run: the SGLD noise of every round's shards,
	// keyed by the round, and the data noise on a stream of its own.
	keys := map[uint64]uint64{}
	for r := uint64(0); r < 100000; r++ {
		k, s := LangevinNoise(1, r, 7)
		require.Equal(t, uint32(7), s)
		if prev, ok := keys[k]; ok {
			t.Fatalf("rounds %d and %d share the key %x", prev, r, k)
		}
		keys[k] = r
	}
	_, s := DataNoise(1)
	require.Equal(t, uint32(DataStream), s)
	_, shardStream := LangevinNoise(1, 0, 1<<20)
	require.Less(t, shardStream, s, "a shard's stream stays below the data's")
}

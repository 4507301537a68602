package run

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A checkpoint's container gives back the header and the arrays written,
// in order, and then ends; the arrays cross the chunk size of the copy.
func TestCheckpointContainerRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ebm")
	big := make([]float32, floatChunk+3)
	for i := range big {
		big[i] = float32(i) - 0.5
	}
	require.NoError(t, WriteCheckpoint(path, []byte(`{"a":1}`), [][]float32{{1, 2, 3}, big}))
	r, err := OpenCheckpoint(path)
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, CheckpointVersion, r.Version)
	require.Equal(t, `{"a":1}`, string(r.Header))
	small, got := make([]float32, 3), make([]float32, len(big))
	require.NoError(t, r.Read(small))
	require.NoError(t, r.Read(got))
	require.Equal(t, []float32{1, 2, 3}, small)
	require.Equal(t, big, got)
	require.NoError(t, r.End())
}

// A file that is not a checkpoint, or is cut short, padded or holds a
// value no model has, is an error naming the file.
func TestCheckpointContainerRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ebm")
	require.NoError(t, WriteCheckpoint(good, []byte(`{}`), [][]float32{{1, 2}}))
	b, err := os.ReadFile(good)
	require.NoError(t, err)
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, content, 0o644))
		return p
	}
	for name, content := range map[string][]byte{
		"magic.ebm":   append([]byte("EBMCKPT9"), b[8:]...),
		"other.ebm":   []byte("PNG\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		"huge.ebm":    binary.LittleEndian.AppendUint32([]byte("EBMCKPT4"), 1<<30),
		"header.ebm":  b[:13],
		"nothing.ebm": nil,
	} {
		_, err := OpenCheckpoint(write(name, content))
		require.ErrorContains(t, err, name)
	}
	two := make([]float32, 2)
	r, err := OpenCheckpoint(write("short.ebm", b[:len(b)-1]))
	require.NoError(t, err)
	require.ErrorContains(t, r.Read(two), "truncated data")
	r.Close()
	r, err = OpenCheckpoint(write("long.ebm", append(append([]byte(nil), b...), 0)))
	require.NoError(t, err)
	require.NoError(t, r.Read(two))
	require.ErrorContains(t, r.End(), "trailing data")
	r.Close()
	nan := binary.LittleEndian.AppendUint32(append([]byte(nil), b[:len(b)-4]...), math.Float32bits(float32(math.NaN())))
	r, err = OpenCheckpoint(write("nan.ebm", nan))
	require.NoError(t, err)
	require.ErrorContains(t, r.Read(two), "non-finite")
	r.Close()
}

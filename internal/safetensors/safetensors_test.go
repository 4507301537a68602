package safetensors

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// What Write writes, Read reads back, names sorted, metadata kept; the
// data starts 8-byte aligned.
func TestRoundTrip(t *testing.T) {
	in := []Tensor{{"net.2.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}, {"net.0.bias", []int{1}, []float32{-1.5}}}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, in, map[string]string{"arch": "3-2"}))
	require.Zero(t, binary.LittleEndian.Uint64(buf.Bytes())%8)
	out, meta, err := Read(buf.Bytes())
	require.NoError(t, err)
	require.Equal(t, []Tensor{in[1], in[0]}, out)
	require.Equal(t, "3-2", meta["arch"])
	require.ErrorContains(t, Write(&buf, []Tensor{{"x", []int{2}, []float32{1}}}, nil), "holds 2 values")
}

// A hostile file is refused with an error, never read outside its bytes.
func TestHostileFilesAreRefused(t *testing.T) {
	four := []byte{0, 0, 128, 63}
	for name, b := range map[string][]byte{
		"short":           {1, 2},
		"header too long": binary.LittleEndian.AppendUint64(nil, 1<<62),
		"not JSON":        file("{x", nil),
		"past the data":   file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, four),
		"shape vs bytes":  file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,4]}}`, four),
		"negative":        file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, four),
		"huge shape":      file(`{"a":{"dtype":"F32","shape":[65536,65536,65536],"data_offsets":[0,4]}}`, four),
		"other dtype":     file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, four),
		"overlap":         file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, four),
		"trailing bytes":  file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, append(four, 0)),
	} {
		_, _, err := Read(b)
		require.Error(t, err, name)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{"w", []int{2}, []float32{1, 2}}}, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	f.Add(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, _, err := Read(b)
		if err != nil {
			return
		}
		total := 0
		for _, x := range ts {
			total += 4 * len(x.Data)
		}
		require.LessOrEqual(t, total, len(b), "more values than the file holds")
	})
}

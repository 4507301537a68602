// Package safetensors reads and writes the safetensors format (Hugging
// Face's): a little-endian uint64 header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw data. No code runs on
// loading, unlike a pickle. Only float32 ("F32") tensors are read and
// written, as ebm's models hold nothing else.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// Tensor is one named float32 array with its shape (row-major).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// maxHeader bounds the JSON header a file may declare (the format's own
// readers refuse 100 MB).
const maxHeader = 100 << 20

// Write writes the tensors, in the order given, and the metadata.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range tensors {
		if n := count(t.Shape); n != len(t.Data) {
			return fmt.Errorf("safetensors: %s: shape %v holds %d values, not %d", t.Name, t.Shape, n, len(t.Data))
		}
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("safetensors: %s: named twice", t.Name)
		}
		end := off + 4*int64(len(t.Data))
		header[t.Name] = entry{"F32", t.Shape, [2]int64{off, end}}
		off = end
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 { // the data starts 8-byte aligned
		js = append(js, ' ')
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(js))); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, t := range tensors {
		for _, v := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	_, err = w.Write(buf)
	return err
}

// Read reads a whole file: its float32 tensors, sorted by name, and its
// metadata. Every range is checked against the data before it is used:
// a header may not point outside the file, overlap another tensor or
// leave bytes unaccounted for.
func Read(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, errors.New("safetensors: shorter than its header length")
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: header of %d bytes in a file of %d", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	data := b[8+n:]
	var meta map[string]string
	var tensors []Tensor
	var ranges [][2]int64
	for name, js := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(js, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors: __metadata__: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(js, &e); err != nil {
			return nil, nil, fmt.Errorf("safetensors: %s: %w", name, err)
		}
		if e.DType != "F32" {
			return nil, nil, fmt.Errorf("safetensors: %s: dtype %s; ebm reads F32 only (convert with tensor.float())", name, e.DType)
		}
		elems := count(e.Shape)
		lo, hi := e.Offsets[0], e.Offsets[1]
		if elems < 0 || lo < 0 || hi < lo || hi > int64(len(data)) || hi-lo != 4*int64(elems) {
			return nil, nil, fmt.Errorf("safetensors: %s: shape %v and bytes [%d, %d) do not fit the %d bytes of data", name, e.Shape, lo, hi, len(data))
		}
		t := Tensor{Name: name, Shape: e.Shape, Data: make([]float32, elems)}
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[lo+4*int64(i):]))
		}
		tensors = append(tensors, t)
		ranges = append(ranges, [2]int64{lo, hi})
	}
	slices.SortFunc(ranges, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var at int64
	for _, r := range ranges {
		if r[0] != at {
			return nil, nil, errors.New("safetensors: tensors overlap or leave a gap in the data")
		}
		at = r[1]
	}
	if at != int64(len(data)) {
		return nil, nil, fmt.Errorf("safetensors: %d bytes of data after the last tensor", int64(len(data))-at)
	}
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].Name < tensors[j].Name })
	return tensors, meta, nil
}

// count is the number of values a shape holds; -1 when a dimension is
// negative or the product overflows.
func count(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || d > 0 && n > math.MaxInt32/d {
			return -1
		}
		n *= d
	}
	return n
}

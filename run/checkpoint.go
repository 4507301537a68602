package run

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/ebm-project/ebm/internal/atomicfile"
)

// A checkpoint file is a container: an 8-byte magic naming its version, a
// little-endian uint32 length and a JSON header, then float32 little-endian
// arrays whose sizes the header implies. This file reads and writes the
// container; what the header and the arrays hold is train's.
const (
	checkpointMagic = "EBMCKPT" // then the version's digit
	// CheckpointVersion is the version WriteCheckpoint writes; readers
	// accept 1 to it (train reads the older headers and arrays).
	CheckpointVersion = 4
	maxHeader         = 1 << 24
)

// floatChunk is how many values the array readers and writers convert at a
// time: a checkpoint's arrays pass through one small buffer, not a copy
// of each (the replay buffer alone is 31 MB).
const floatChunk = 1 << 14

// WriteCheckpoint writes a checkpoint of the current version atomically
// (internal/atomicfile): a crash or an error leaves the previous file
// intact.
func WriteCheckpoint(path string, header []byte, arrays [][]float32) error {
	if len(header) > maxHeader {
		return fmt.Errorf("checkpoint %s: a header of %d bytes", path, len(header))
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "%s%d", checkpointMagic, CheckpointVersion); err != nil {
			return err
		}
		if err := binary.Write(w, binary.LittleEndian, uint32(len(header))); err != nil {
			return err
		}
		if _, err := w.Write(header); err != nil {
			return err
		}
		buf := make([]byte, floatChunk*4)
		for _, a := range arrays {
			if err := writeFloats(w, a, buf); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// CheckpointReader reads a checkpoint: its version and header at once,
// then its arrays in order, then End; Close closes it.
type CheckpointReader struct {
	Version int
	Header  []byte
	path    string
	f       *os.File
	r       *bufio.Reader
	buf     []byte
}

// OpenCheckpoint opens path and reads its magic and header.
func OpenCheckpoint(path string) (*CheckpointReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c := &CheckpointReader{path: path, f: f, r: bufio.NewReaderSize(f, 1<<20), buf: make([]byte, floatChunk*4)}
	if err := c.readHeader(); err != nil {
		f.Close()
		return nil, c.Errorf("%v", err)
	}
	return c, nil
}

func (c *CheckpointReader) readHeader() error {
	m := make([]byte, len(checkpointMagic)+1)
	if _, err := io.ReadFull(c.r, m); err != nil || string(m[:len(checkpointMagic)]) != checkpointMagic ||
		m[len(m)-1] < '1' || m[len(m)-1] > '0'+CheckpointVersion {
		return errors.New("not an ebm checkpoint (bad magic)")
	}
	c.Version = int(m[len(m)-1] - '0')
	var n uint32
	if err := binary.Read(c.r, binary.LittleEndian, &n); err != nil || n > maxHeader {
		return errors.New("bad header length")
	}
	c.Header = make([]byte, n)
	if _, err := io.ReadFull(c.r, c.Header); err != nil {
		return errors.New("truncated header")
	}
	return nil
}

// Read fills dst with the next array; a value that is not finite is an
// error (no model or buffer holds one).
func (c *CheckpointReader) Read(dst []float32) error {
	if err := readFloats(c.r, dst, c.buf); err != nil {
		return c.Errorf("truncated data: %v", err)
	}
	for _, v := range dst {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return c.Errorf("non-finite value in the data")
		}
	}
	return nil
}

// End checks that the arrays read were the whole file.
func (c *CheckpointReader) End() error {
	if _, err := c.r.ReadByte(); !errors.Is(err, io.EOF) {
		return c.Errorf("trailing data after the arrays")
	}
	return nil
}

// Close closes the file.
func (c *CheckpointReader) Close() error { return c.f.Close() }

// Errorf is an error about this checkpoint, naming its file.
func (c *CheckpointReader) Errorf(format string, args ...any) error {
	return fmt.Errorf("checkpoint %s: %s", c.path, fmt.Sprintf(format, args...))
}

// writeFloats writes v as little-endian float32s through buf.
func writeFloats(w io.Writer, v []float32, buf []byte) error {
	for lo := 0; lo < len(v); lo += floatChunk {
		part := v[lo:min(len(v), lo+floatChunk)]
		for i, x := range part {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		if _, err := w.Write(buf[:4*len(part)]); err != nil {
			return err
		}
	}
	return nil
}

// readFloats fills dst with little-endian float32s read through buf.
func readFloats(r io.Reader, dst []float32, buf []byte) error {
	for lo := 0; lo < len(dst); lo += floatChunk {
		part := dst[lo:min(len(dst), lo+floatChunk)]
		b := buf[:4*len(part)]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		for i := range part {
			part[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return nil
}

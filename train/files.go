package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes b to path so that a reader, or a crash, sees the
// old file or the new one, never a part: a temporary file in the same
// folder, fsync, rename over path, fsync of the folder.
func WriteFileAtomic(path string, b []byte) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeFileAtomic is WriteFileAtomic with the contents streamed by write.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	if err := write(w); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteJSON writes v as indented JSON.
func WriteJSON(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteFileAtomic(path, append(js, '\n'))
}

// WriteMetrics rewrites metrics.jsonl from the history: one object a line.
func WriteMetrics(path string, hist []EpochMetrics) error {
	var buf bytes.Buffer
	for _, m := range hist {
		js, err := json.Marshal(m)
		if err != nil {
			return err
		}
		buf.Write(js)
		buf.WriteByte('\n')
	}
	return WriteFileAtomic(path, buf.Bytes())
}

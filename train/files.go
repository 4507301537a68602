package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ebm-project/ebm/internal/atomicfile"
)

// WriteJSON writes v as indented JSON.
func WriteJSON(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(js, '\n'))
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
	return atomicfile.WriteFile(path, buf.Bytes())
}

// maxMetricsBytes bounds metrics.jsonl as read: a line an epoch.
const maxMetricsBytes = 1 << 26

// ReadMetrics reads metrics.jsonl (none if the run has finished no epoch).
func ReadMetrics(path string) ([]EpochMetrics, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []EpochMetrics{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hist := []EpochMetrics{}
	dec := json.NewDecoder(io.LimitReader(f, maxMetricsBytes))
	for {
		var m EpochMetrics
		err := dec.Decode(&m)
		if err == io.EOF {
			return hist, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: epoch %d: %w", filepath.Base(path), len(hist)+1, err)
		}
		hist = append(hist, m)
	}
}

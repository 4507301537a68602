package train

import (
	"bytes"
	"encoding/json"
	"fmt"

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

package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ebm-project/ebm/internal/atomicfile"
)

// State is where a run stands. One vocabulary for the run folder, the
// command line and the web page.
type State string

const (
	Running     State = "running"     // a process holds its lock
	Stopping    State = "stopping"    // asked to stop: the step ends, the checkpoint is written
	Finished    State = "finished"    // every epoch of its recipe is done
	Interrupted State = "interrupted" // stopped with a checkpoint to resume from
	Failed      State = "failed"      // its last attempt stopped with an error
	Empty       State = "empty"       // nothing to resume: no checkpoint yet
	Corrupt     State = "corrupt"     // its checkpoint cannot be read
)

// Status is status.json: what the process training the run last said of it,
// written when it starts, stops, fails and finishes.
type Status struct {
	State   State     `json:"state"`
	Epoch   int       `json:"epoch"`  // epochs done
	Epochs  int       `json:"epochs"` // epochs of its recipe
	Error   string    `json:"error,omitempty"`
	Updated time.Time `json:"updated"`
}

// WriteStatus records s in the folder, atomically.
func (d Dir) WriteStatus(s Status) error {
	if s.Updated.IsZero() {
		s.Updated = time.Now().UTC()
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(d.Status(), append(js, '\n')); err != nil {
		return fmt.Errorf("run status: %w", err)
	}
	return nil
}

// ReadStatus reads the folder's status record; ok is false when the folder
// has none (a run from before status.json, or none started).
func (d Dir) ReadStatus() (s Status, ok bool, err error) {
	b, err := os.ReadFile(d.Status())
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, false, fmt.Errorf("%s: %w", statusFile, err)
	}
	return s, true, nil
}

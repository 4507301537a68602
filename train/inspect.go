package train

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ebm-project/ebm/run"
)

// RunInfo describes a run folder as a user sees it.
type RunInfo struct {
	State run.State `json:"state"`
	// Checkpoint: the folder holds a checkpoint (readable unless Corrupt).
	Checkpoint bool          `json:"checkpoint"`
	Recipe     *Recipe       `json:"recipe,omitempty"`
	Epoch      int           `json:"epoch"`  // epochs done
	Epochs     int           `json:"epochs"` // epochs of its recipe
	Last       *EpochMetrics `json:"last,omitempty"`
	Error      string        `json:"error,omitempty"`   // why a failed run stopped, or a checkpoint is corrupt
	Samples    string        `json:"samples,omitempty"` // the latest sample grid's file name
	Modified   time.Time     `json:"modified"`
}

// InspectRun reads a run folder's state without disturbing a run in it:
// the lock, the checkpoint's header and the run's status record
// (status.json). A checkpoint that cannot be read makes the run Corrupt,
// not an error.
func InspectRun(dir string) (RunInfo, error) {
	d := run.Dir(dir)
	st, err := os.Stat(dir)
	if err != nil {
		return RunInfo{}, err
	}
	info := RunInfo{State: run.Empty, Modified: st.ModTime(), Samples: d.LatestSamples()}
	if d.Locked() {
		info.State = run.Running
	}
	if _, err := os.Stat(d.Checkpoint()); err == nil {
		info.Checkpoint = true
		ck, h, err := openCheckpoint(d.Checkpoint())
		if err == nil {
			ck.Close()
		}
		if err != nil {
			// Listed, with the reason, rather than hidden: the user decides.
			// The file by its name alone: the list shows no absolute path.
			info.Error = strings.Replace(err.Error(), "checkpoint "+d.Checkpoint(), filepath.Base(d.Checkpoint()), 1)
			if info.State != run.Running {
				info.State = run.Corrupt
			}
			return info, nil
		}
		r := h.Recipe
		info.Recipe, info.Epochs, info.Epoch = &r, r.Epochs, len(h.Progress.History)
		if info.Epoch > 0 {
			info.Last = &h.Progress.History[info.Epoch-1]
		}
		if info.State != run.Running {
			info.State = run.Interrupted
			if h.Progress.Epoch > r.Epochs {
				info.State = run.Finished
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return info, err
	} else if c, err := readConfig(d); err == nil {
		r := c.Recipe
		info.Recipe, info.Epochs = &r, r.Epochs
	}
	if info.State == run.Running {
		return info, nil
	}
	s, ok, err := d.ReadStatus()
	switch {
	case err != nil:
		info.State, info.Error = run.Failed, err.Error()
	case !ok:
	case s.State == run.Failed:
		info.State, info.Error = run.Failed, s.Error
	case s.State == run.Running || s.State == run.Stopping:
		// The record says running, yet no process holds the lock: the
		// process died without a word (killed, or the machine stopped).
		info.State, info.Error = run.Failed, "the process training it ended without saying why (killed?)"
	}
	return info, nil
}

func readConfig(d run.Dir) (runConfig, error) {
	var c runConfig
	b, err := os.ReadFile(d.Config())
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

package train

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RunState is where a run folder stands.
type RunState string

const (
	Running     RunState = "running"     // a process holds its lock
	Finished    RunState = "finished"    // every epoch of its recipe is done
	Interrupted RunState = "interrupted" // it has a checkpoint to --resume from
	Failed      RunState = "failed"      // its last attempt stopped with an error
	Empty       RunState = "empty"       // nothing to resume: no checkpoint yet
	Corrupt     RunState = "corrupt"     // its checkpoint cannot be read (Error says why)
)

// RunInfo describes a run folder as a user sees it.
type RunInfo struct {
	State RunState `json:"state"`
	// Checkpoint: the folder holds a checkpoint (readable unless Corrupt).
	Checkpoint bool          `json:"checkpoint"`
	Recipe     *Recipe       `json:"recipe,omitempty"`
	Epoch      int           `json:"epoch"`  // epochs done
	Epochs     int           `json:"epochs"` // epochs of its recipe
	Last       *EpochMetrics `json:"last,omitempty"`
	Error      string        `json:"error,omitempty"`   // why a failed run stopped
	Samples    string        `json:"samples,omitempty"` // the latest sample grid's file name
	Modified   time.Time     `json:"modified"`
}

// InspectRun reads a run folder's state without disturbing a run in it: the
// checkpoint's header, the lock, the end of the log. A checkpoint that
// cannot be read makes the run Corrupt, not an error.
func InspectRun(dir string) (RunInfo, error) {
	d := RunDir(dir)
	st, err := os.Stat(dir)
	if err != nil {
		return RunInfo{}, err
	}
	info := RunInfo{State: Empty, Modified: st.ModTime()}
	if f, err := os.Open(d.Checkpoint()); err == nil {
		info.Checkpoint = true
		_, h, err := readHeader(bufio.NewReader(f))
		f.Close()
		if err != nil {
			// Listed, with the reason, rather than hidden: the user decides.
			info.State, info.Error = Corrupt, fmt.Sprintf("%s: %v", filepath.Base(d.Checkpoint()), err)
			if lockHeld(d.Lock()) {
				info.State = Running
			}
			return info, nil
		}
		r := h.Recipe
		info.Recipe, info.Epochs, info.Epoch = &r, r.Epochs, len(h.Progress.History)
		if info.Epoch > 0 {
			info.Last = &h.Progress.History[info.Epoch-1]
		}
		info.State = Interrupted
		if h.Progress.Epoch > r.Epochs {
			info.State = Finished
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return info, err
	} else if c, err := readConfig(d); err == nil {
		r := c.Recipe
		info.Recipe, info.Epochs = &r, r.Epochs
	}
	if msg, ok := lastFailure(d); ok {
		info.State, info.Error = Failed, msg
	}
	if lockHeld(d.Lock()) {
		info.State = Running
	}
	info.Samples = latestSamples(d)
	return info, nil
}

func readConfig(d RunDir) (runConfig, error) {
	var c runConfig
	b, err := os.ReadFile(d.Config())
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

// lastFailure reports the error of the log's last line when that line says
// the run failed (a later, successful attempt writes lines after it).
func lastFailure(d RunDir) (string, bool) {
	c, err := readConfig(d)
	if err != nil {
		return "", false
	}
	f, err := os.Open(d.LogFile(c.LogFile))
	if err != nil {
		return "", false
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > 8192 {
		f.Seek(-8192, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, " msg=failed ") {
		return "", false
	}
	_, msg, _ := strings.Cut(last, " err=")
	if s, err := strconv.Unquote(msg); err == nil {
		msg = s
	}
	return msg, true
}

// latestSamples is the newest sample grid: the final one, else the last
// epoch's.
func latestSamples(d RunDir) string {
	if _, err := os.Stat(d.FinalGrid()); err == nil {
		return filepath.Base(d.FinalGrid())
	}
	grids, _ := filepath.Glob(filepath.Join(string(d), "samples_epoch*.png"))
	if len(grids) == 0 {
		return ""
	}
	return filepath.Base(grids[len(grids)-1])
}

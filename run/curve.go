package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Point is one point of a run's curves (curve.jsonl): the means of the
// training steps since the point before. Its keys are those of
// metrics.jsonl for the same quantities.
type Point struct {
	Step    uint64  `json:"step"`
	Epoch   float64 `json:"epoch"` // epochs done at this step: step / batches per epoch
	Loss    float64 `json:"train_loss"`
	CE      float64 `json:"train_ce"`
	EReal   float64 `json:"e_real"`
	ESample float64 `json:"e_sample"`
	LR      float64 `json:"lr"`
}

// The kinds of Mark.
const (
	MarkRollback = "rollback" // the divergence guard took the run back to Step
	MarkResume   = "resume"   // a process took the run up again at Step
)

// Mark is a line of curve.jsonl that says where a run went back or began
// again: points recorded before it past its step are of steps undone.
type Mark struct {
	Kind   string    `json:"mark"`
	Step   uint64    `json:"step"`
	Epoch  int       `json:"epoch"`
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
}

// Curve is a run's recorded curves, as they stand: the points of steps
// undone by a rollback or lost to a kill are gone, the marks kept.
type Curve struct {
	Points []Point `json:"points"`
	Marks  []Mark  `json:"marks"`
}

// Limits on reading curve.jsonl: a run of 10,000 epochs of MNIST writes
// about 50 MB; a file beyond these is not a run's.
const (
	maxCurveBytes = 1 << 28
	maxCurveLine  = 1 << 12
)

// AppendPoints adds points to the folder's curve.jsonl.
func (d Dir) AppendPoints(ps []Point) error {
	if len(ps) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, p := range ps {
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("%s: %w", curveFile, err)
		}
	}
	return d.appendCurve(buf.Bytes())
}

// AppendMark adds a mark to the folder's curve.jsonl.
func (d Dir) AppendMark(m Mark) error {
	if m.Time.IsZero() {
		m.Time = time.Now().UTC()
	}
	js, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%s: %w", curveFile, err)
	}
	return d.appendCurve(append(js, '\n'))
}

func (d Dir) appendCurve(b []byte) error {
	f, err := os.OpenFile(d.Curve(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("run curve: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("run curve: %w", err)
	}
	return nil
}

// RemoveCurve forgets the curves of an earlier attempt (a run started over).
func (d Dir) RemoveCurve() error {
	if err := os.Remove(d.Curve()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("run curve: %w", err)
	}
	return nil
}

// curveLine is a line of curve.jsonl: a point, or a mark if Kind is set.
type curveLine struct {
	Kind    string    `json:"mark"`
	Step    uint64    `json:"step"`
	Epoch   float64   `json:"epoch"`
	Loss    float64   `json:"train_loss"`
	CE      float64   `json:"train_ce"`
	EReal   float64   `json:"e_real"`
	ESample float64   `json:"e_sample"`
	LR      float64   `json:"lr"`
	Reason  string    `json:"reason"`
	Time    time.Time `json:"time"`
}

// ReadCurve reads curve.jsonl (an empty Curve if the folder has none). A
// cut last line, left by a process killed while writing, is skipped; any
// other line that is not a point or a mark is an error.
func (d Dir) ReadCurve() (Curve, error) {
	c := Curve{Points: []Point{}, Marks: []Mark{}}
	f, err := os.Open(d.Curve())
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("run curve: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() > maxCurveBytes {
		return c, fmt.Errorf("%s: not a run's curve (over %d bytes, or unreadable)", curveFile, maxCurveBytes)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, maxCurveLine), maxCurveLine)
	var bad error
	for n := 1; sc.Scan(); n++ {
		if bad != nil {
			return c, bad // a bad line that was not the last
		}
		var line curveLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			bad = fmt.Errorf("%s line %d: %v", curveFile, n, err)
			continue
		}
		if line.Kind == "" {
			c.Points = append(c.Points, Point{line.Step, line.Epoch, line.Loss, line.CE, line.EReal, line.ESample, line.LR})
			continue
		}
		if line.Kind != MarkRollback && line.Kind != MarkResume {
			bad = fmt.Errorf("%s line %d: unknown mark %q", curveFile, n, line.Kind)
			continue
		}
		m := Mark{line.Kind, line.Step, int(line.Epoch), line.Reason, line.Time}
		// The steps past the mark were undone (a rollback) or never
		// checkpointed (a process killed before the resume).
		keep := len(c.Points)
		for keep > 0 && c.Points[keep-1].Step > m.Step {
			keep--
		}
		c.Points = c.Points[:keep]
		c.Marks = append(c.Marks, m)
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("%s: %w", curveFile, err)
	}
	return c, nil
}

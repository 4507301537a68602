package run

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func steps(c Curve) []uint64 {
	var s []uint64
	for _, p := range c.Points {
		s = append(s, p.Step)
	}
	return s
}

// The curve is the points as they stand: a rollback or a resume undoes the
// points recorded past its step, and is kept as a mark.
func TestACurveIsThePointsNotUndone(t *testing.T) {
	d := Dir(t.TempDir())
	c, err := d.ReadCurve()
	require.NoError(t, err)
	require.Empty(t, c.Points, "no file: an empty curve")

	require.NoError(t, d.AppendPoints([]Point{{Step: 10, Epoch: 0.5, Loss: 2}, {Step: 20, Epoch: 1}, {Step: 30, Epoch: 1.5}}))
	require.NoError(t, d.AppendMark(Mark{Kind: MarkRollback, Step: 20, Epoch: 2, Reason: "energies"}))
	require.NoError(t, d.AppendPoints([]Point{{Step: 30, Epoch: 1.5, Loss: 1}, {Step: 40, Epoch: 2}, {Step: 50}}))
	require.NoError(t, d.AppendMark(Mark{Kind: MarkResume, Step: 40, Epoch: 3}))
	require.NoError(t, d.AppendPoints([]Point{{Step: 50, Epoch: 2.5}}))

	c, err = d.ReadCurve()
	require.NoError(t, err)
	require.Equal(t, []uint64{10, 20, 30, 40, 50}, steps(c))
	require.Equal(t, 1.0, c.Points[2].Loss, "the point recorded after the rollback, not the one undone")
	require.Equal(t, 2.0, c.Points[0].Loss)
	require.Len(t, c.Marks, 2)
	require.Equal(t, Mark{Kind: MarkRollback, Step: 20, Epoch: 2, Reason: "energies", Time: c.Marks[0].Time}, c.Marks[0])
	require.Equal(t, uint64(40), c.Marks[1].Step)
	require.False(t, c.Marks[1].Time.IsZero())
}

// A process killed while appending leaves a cut last line: skipped. A bad
// line anywhere else is not a curve this package wrote.
func TestACutLastLineIsSkippedAnyOtherBadLineIsAnError(t *testing.T) {
	d := Dir(t.TempDir())
	require.NoError(t, d.AppendPoints([]Point{{Step: 10}}))
	f, err := os.OpenFile(d.Curve(), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"step":20,"train_lo`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	c, err := d.ReadCurve()
	require.NoError(t, err)
	require.Equal(t, []uint64{10}, steps(c))

	require.NoError(t, os.WriteFile(d.Curve(), []byte("{\"step\":10}\nnot json\n{\"step\":20}\n"), 0o644))
	_, err = d.ReadCurve()
	require.ErrorContains(t, err, "curve.jsonl line 2")

	require.NoError(t, os.WriteFile(d.Curve(), []byte("{\"mark\":\"teleport\",\"step\":10}\n{\"step\":20}\n"), 0o644))
	_, err = d.ReadCurve()
	require.ErrorContains(t, err, `unknown mark "teleport"`)

	require.NoError(t, d.RemoveCurve())
	require.NoError(t, d.RemoveCurve(), "removing no curve is no error")
}

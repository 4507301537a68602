package run

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every evaluation keeps its own folder, named by its time; two in one
// second do not overwrite each other; the list is newest first, with a
// run's one evaluation from before (at the folder's top) last.
func TestEvaluationsAreKeptNewestFirst(t *testing.T) {
	d := Dir(t.TempDir())
	require.Empty(t, d.Evaluations())
	at := time.Date(2026, 12, 3, 18, 50, 0, 0, time.UTC)
	var made []string
	for _, when := range []time.Time{at, at, at.Add(time.Hour)} {
		e, err := d.NewEvaluation(when)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(e.JSON, []byte("{}"), 0o644))
		made = append(made, e.ID)
	}
	require.Equal(t, []string{"20261203T185000Z", "20261203T185000Z-2", "20261203T195000Z"}, made)
	e, err := d.NewEvaluation(at.Add(2 * time.Hour)) // no figures written: not listed
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.Eval(), []byte("{}"), 0o644))

	var ids []string
	for _, e := range d.Evaluations() {
		ids = append(ids, e.ID)
	}
	require.Equal(t, []string{"20261203T195000Z", "20261203T185000Z-2", "20261203T185000Z", LegacyEvaluation}, ids)
	require.Equal(t, filepath.Join(string(d), "evaluations", e.ID, "report.html"), e.Report)
	require.Equal(t, d.Report(), d.Evaluation(LegacyEvaluation).Report)
}

func TestAnEvaluationIDNamesNothingElse(t *testing.T) {
	for _, id := range []string{"20261203T185000Z", "20261203T185000Z-12", LegacyEvaluation} {
		require.True(t, ValidEvaluation(id), id)
	}
	for _, id := range []string{"", "..", "../x", "20261203T185000Z/..", "20261203T185000", "/etc", "20261203T185000Z-"} {
		require.False(t, ValidEvaluation(id), id)
	}
}

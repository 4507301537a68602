package run

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Sample grids carry as many digits as the run's last epoch (three at
// least, as always), and are listed by epoch whatever their width: epoch
// 1000 comes after 999, not between 099 and 100.
func TestSampleGridsSortPastEpoch999(t *testing.T) {
	d := Dir(t.TempDir())
	require.Equal(t, "samples_epoch007.png", filepath.Base(d.SampleGrid(7, 20)))
	require.Equal(t, "samples_epoch0007.png", filepath.Base(d.SampleGrid(7, 1500)))
	require.Equal(t, "samples_epoch1000.png", filepath.Base(d.SampleGrid(1000, 1000)))
	for _, e := range []int{2, 999, 100, 99} {
		require.NoError(t, os.WriteFile(d.SampleGrid(e, 999), nil, 0o644))
	}
	require.NoError(t, os.WriteFile(d.SampleGrid(1000, 1500), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(string(d), "samples_epochXYZ.png"), nil, 0o644))
	require.Equal(t, []string{"samples_epoch002.png", "samples_epoch099.png", "samples_epoch100.png", "samples_epoch999.png", "samples_epoch1000.png"}, d.SampleGrids())
	require.Equal(t, "samples_epoch1000.png", d.LatestSamples())
	require.NoError(t, os.WriteFile(d.FinalGrid(), nil, 0o644))
	require.Equal(t, "samples_final.png", d.LatestSamples())
}

// A client may read a run's pictures, records and reports, nothing else.
func TestShownFilesAreTheRunsRecords(t *testing.T) {
	for _, f := range []string{"metrics.jsonl", "config.json", "status.json", "loss_curve.svg", "real.png", "samples_final.png", "samples_epoch001.png", "samples_epoch1234.png", "eval.json", "report.html"} {
		require.True(t, Shown(f), f)
	}
	for _, f := range []string{"checkpoint.ebm", "run.lock", "ebm_training.log", "../x", "samples_epoch1.png", "report.html.tmp", ""} {
		require.False(t, Shown(f), f)
	}
}

// status.json round-trips, and a folder without one says so.
func TestStatusRoundTrips(t *testing.T) {
	d := Dir(t.TempDir())
	_, ok, err := d.ReadStatus()
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, d.WriteStatus(Status{State: Failed, Epoch: 3, Epochs: 10, Error: "disk full"}))
	s, ok, err := d.ReadStatus()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, Failed, s.State)
	require.Equal(t, 3, s.Epoch)
	require.Equal(t, "disk full", s.Error)
	require.False(t, s.Updated.IsZero())
	require.NoError(t, os.WriteFile(d.Status(), []byte("{"), 0o644))
	_, _, err = d.ReadStatus()
	require.ErrorContains(t, err, "status.json")
}

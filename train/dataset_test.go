package train

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/internal/fakedata"
	"github.com/ebm-project/ebm/mnist"
	"github.com/stretchr/testify/require"
)

// rgbFolder writes a tiny image folder: 12x10 RGB images in 3 classes.
func rgbFolder(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, fakedata.RGBFolder(dir, 12, 10, 3, 24, 1))
	return dir
}

// A run on another data set takes its shape and classes from it, MLP and
// CNN alike: the checkpoint records them, and the grids are in colour.
func TestTrainsOnAnRGBImageFolder(t *testing.T) {
	data := rgbFolder(t)
	for _, given := range []map[string]string{
		{"epochs": "1", "batch_size": "16", "langevin_steps": "2", "buffer_size": "32", "hidden": "16", "shift": "1"},
		{"epochs": "1", "batch_size": "16", "langevin_steps": "2", "buffer_size": "32", "convs": "4c3s2p1", "hidden": "8"},
	} {
		o := DefaultOptions()
		o.DataDir, o.OutDir = data, filepath.Join(t.TempDir(), "run")
		require.NoError(t, Execute(context.Background(), Job{Given: given, Options: o}))
		ck, err := LoadCheckpoint(filepath.Join(o.OutDir, "checkpoint.ebm"))
		require.NoError(t, err)
		require.Equal(t, mnist.Shape{Rows: 12, Cols: 10, Channels: 3}, ck.Shape())
		require.Equal(t, []string{"blue", "green", "red"}, ck.Classes)
		require.Equal(t, 3, ck.Model.Out())
		f, err := os.Open(filepath.Join(o.OutDir, "samples_final.png"))
		require.NoError(t, err)
		im, err := png.Decode(f)
		f.Close()
		require.NoError(t, err)
		_, grey := im.(*image.Gray)
		require.False(t, grey, "an RGB set's samples are drawn in colour")
	}
}

package eval

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-project/ebm/internal/fakedata"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/train"
	"github.com/stretchr/testify/require"
)

// colourSet writes and opens a 16x16 RGB image folder of the given classes.
func colourSet(t *testing.T, classes, perClass int, seed uint64) *mnist.Data {
	dir := t.TempDir()
	require.NoError(t, fakedata.RGBFolder(dir, 16, 16, classes, perClass, seed))
	d, err := mnist.Open(dir, false)
	require.NoError(t, err)
	return d
}

// writeJudge trains d's judge and writes it where FindJudge looks.
func writeJudge(t *testing.T, d *mnist.Data) ClassifierInfo {
	m, acc, err := TrainClassifier(d.Train, d.Test, nil)
	require.NoError(t, err)
	require.Greater(t, acc, 0.9, "a set smaller than a batch trains too") // the classes differ at a glance
	info := ClassifierInfo{Arch: m.Arch, Epochs: ClassifierRecipe.Epochs, Seed: ClassifierRecipe.Seed, TestAcc: acc, Data: d.Name, DataSHA256: d.Test.Fingerprint()}
	b, err := EncodeClassifier(m, info)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(d.Dir, JudgeFile), b, 0o644))
	return info
}

// Every data set has its own judge: a set without one is an error that
// says how to make one; the one `ebm classifier` writes is found beside
// the data; a judge of other images, or of another set of the same shape,
// is refused.
func TestEachDataSetHasItsOwnJudge(t *testing.T) {
	d := colourSet(t, 3, 20, 1)
	_, err := FindJudge(d, "")
	require.ErrorContains(t, err, "ebm classifier --data_dir "+d.Dir)

	info := writeJudge(t, d)
	j, err := FindJudge(d, "")
	require.NoError(t, err)
	require.Equal(t, info, j.Info)
	require.Equal(t, 16*16*3, j.Net.In())
	require.Equal(t, 3, j.Net.Out())

	same := colourSet(t, 3, 20, 2) // same shape and classes, other images
	_, err = FindJudge(same, filepath.Join(d.Dir, JudgeFile))
	require.ErrorContains(t, err, "not those of")

	fewer := colourSet(t, 2, 20, 1)
	_, err = FindJudge(fewer, filepath.Join(d.Dir, JudgeFile))
	require.ErrorContains(t, err, "in 3 classes")

	if dir := os.Getenv(mnist.EnvVar); dir != "" {
		m, err := mnist.Open(dir, false)
		require.NoError(t, err)
		j, err := FindJudge(m, "")
		require.NoError(t, err, "MNIST's judge is committed")
		require.Empty(t, j.Info.DataSHA256)
		_, err = FindJudge(m, filepath.Join(d.Dir, JudgeFile))
		require.ErrorContains(t, err, "16x16x3", "a judge of colour images does not read digits")
	}
}

// An evaluation takes the shape, the classes and the OOD sets from its
// data: a convolutional model of 16x16 colour images in 6 classes is
// evaluated against another colour set, reported under that set's name,
// class by class, on a page in colour.
func TestEvaluatesAnyDataSet(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model and a judge, minutes without the assembly kernels (CI's purego pass); the full suite runs it")
	}
	d := colourSet(t, 6, 24, 1)
	writeJudge(t, d)
	o := train.DefaultOptions()
	o.DataDir, o.OutDir = d.Dir, filepath.Join(t.TempDir(), "run")
	require.NoError(t, train.Execute(context.Background(), train.Job{Options: o, Given: map[string]string{
		"epochs": "1", "batch_size": "16", "langevin_steps": "2", "buffer_size": "32", "convs": "8c4s2p1,16c3s2p1", "hidden": "16"}}))
	ck, err := train.LoadCheckpoint(filepath.Join(o.OutDir, "checkpoint.ebm"))
	require.NoError(t, err)
	judge, err := FindJudge(d, "")
	require.NoError(t, err)
	other := colourSet(t, 3, 10, 7)
	data := Data{Name: d.Name, Train: d.Train, Test: d.Test, Judge: judge, OOD: []OODSet{{"others", other.Test}}}
	rep, err := Evaluate(context.Background(), ck, data, Options{Samples: 24, Dynamics: langevin.Config{Steps: 2, Alpha: 1, Sigma: 0.01, Clamp: true, Seed: 1}, InpaintSteps: 2})
	require.NoError(t, err)
	js, err := rep.JSON()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(js, &m))
	require.Equal(t, d.Name, m["data"])
	require.Equal(t, []any{"blue", "blue-square", "green", "green-square", "red", "red-square"}, m["classes"])
	require.Len(t, m["class_counts"], 6)
	require.Len(t, m["cond_accuracy_per_class"], 6)
	require.ElementsMatch(t, []string{"others", "uniform", "gaussian", "inverted"}, keys(rep.OODAUROC))
	require.Len(t, rep.OODPerClass["others"], 3, "the OOD set's own classes")
	require.Len(t, rep.SampleGrid, 24*16*16*3)

	page, err := rep.HTML("run/checkpoint.ebm", ck.Model.Arch)
	require.NoError(t, err)
	for _, want := range []string{"others class", "red-square", "inverted " + d.Name, d.Name + " test", "data:image/gif;base64,"} {
		require.Contains(t, string(page), want)
	}

	// A model is evaluated on its own images only.
	wrong := colourSet(t, 6, 4, 3)
	wrong.Test.Rows, wrong.Test.Cols = 8, 32 // the same count of values, another shape
	_, err = Evaluate(context.Background(), ck, Data{Name: "wrong", Train: d.Train, Test: wrong.Test, Judge: judge}, Options{Samples: 24, Dynamics: langevin.Config{Steps: 2}})
	require.ErrorContains(t, err, "is not a model of")
	_, err = Evaluate(context.Background(), ck, Data{Name: d.Name, Train: d.Train, Test: d.Test, Judge: judge, OOD: []OODSet{{"grey", colourGrey()}}}, Options{Samples: 24, Dynamics: langevin.Config{Steps: 2}})
	require.ErrorContains(t, err, "a model reads only its own shape")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// colourGrey is a set of grey 16x16 images: not a colour model's input.
func colourGrey() *mnist.Dataset {
	return &mnist.Dataset{N: 2, Rows: 16, Cols: 16, Channels: 1, Pixels: make([]uint8, 2*256), Labels: []uint8{0, 1}}
}

package mnist

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The folders on hand are recognised by their files' SHA-256 and named:
// MNIST's digits, Fashion-MNIST's clothes.
func TestOpenVerifiesTheKnownSets(t *testing.T) {
	dir := dataDir(t)
	d, err := Open(dir, false)
	require.NoError(t, err)
	require.Equal(t, "mnist", d.Verified)
	require.Equal(t, MNISTShape, d.Shape())
	require.Equal(t, Digits, d.Classes())
	require.Contains(t, d.Note, "SHA-256 verified")
	fashion := filepath.Join(filepath.Dir(dir), "fashion-mnist")
	if _, err := os.Stat(fashion); err != nil {
		t.Skipf("no Fashion-MNIST beside %s", dir)
	}
	require.Equal(t, []string{fashion}, d.Neighbours(), "MNIST's out-of-distribution set by default")
	f, err := Open(fashion, false)
	require.NoError(t, err)
	require.Equal(t, "fashion-mnist", f.Verified)
	require.Equal(t, "Ankle boot", f.Classes()[9])
	require.Equal(t, []string{filepath.Join(filepath.Dir(dir), "mnist")}, f.Neighbours(), "and Fashion-MNIST's")

	// Three of MNIST's files and a fourth that is not: corrupt, an error.
	mixed := t.TempDir()
	for _, name := range []string{TrainImages, TrainLabels, TestImages} {
		b, err := os.ReadFile(filepath.Join(dir, name+".gz"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(mixed, name+".gz"), b, 0o644))
	}
	labels := make([]byte, 10000)
	require.NoError(t, os.WriteFile(filepath.Join(mixed, TestLabels), idx(0x801, []uint32{10000}, labels), 0o644))
	_, err = Open(mixed, false)
	require.ErrorContains(t, err, "SHA-256")
	require.ErrorContains(t, err, "mnist's")
}

// IDX files of no known set are read, not verified, and say so; their
// classes are the labels seen.
func TestOpenAcceptsUnknownIDX(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) { require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644)) }
	write(TrainImages, idx(0x803, []uint32{3, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
	write(TrainLabels, idx(0x801, []uint32{3}, []byte{0, 4, 1}))
	write(TestImages, idx(0x803, []uint32{1, 2, 2}, []byte{255, 0, 0, 255}))
	write(TestLabels, idx(0x801, []uint32{1}, []byte{2}))
	d, err := Open(dir, false)
	require.NoError(t, err)
	require.Empty(t, d.Verified)
	require.Contains(t, d.Note, "not verified")
	require.Equal(t, Shape{2, 2, 1}, d.Shape())
	require.Equal(t, []string{"0", "1", "2", "3", "4"}, d.Classes())
	require.Equal(t, []uint8{255, 0, 0, 255}, d.Test.Pixels)

	_, err = Open(t.TempDir(), false)
	require.ErrorContains(t, err, "neither an image folder")
	require.NoError(t, os.Remove(filepath.Join(dir, TestLabels)))
	_, err = Open(dir, false)
	require.ErrorContains(t, err, "needs four files")
}

// An image folder in torchvision's layout: classes are train/'s folders
// sorted, pixels channels last; RGB unless every image is grey; every
// image the size of the first.
func TestOpenReadsAnImageFolder(t *testing.T) {
	dir := t.TempDir()
	put := func(split, class, name string, im image.Image) {
		p := filepath.Join(dir, split, class)
		require.NoError(t, os.MkdirAll(p, 0o755))
		f, err := os.Create(filepath.Join(p, name))
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, im))
		require.NoError(t, f.Close())
	}
	rgb := func(r, g, b uint8) image.Image {
		im := image.NewNRGBA(image.Rect(0, 0, 3, 2))
		for y := range 2 {
			for x := range 3 {
				im.SetNRGBA(x, y, color.NRGBA{r, g, b + uint8(x), 255})
			}
		}
		return im
	}
	put("train", "dog", "a.png", rgb(10, 20, 30))
	put("train", "cat", "b.png", rgb(40, 50, 60))
	put("train", "cat", "c.png", rgb(70, 80, 90))
	put("test", "dog", "d.png", rgb(1, 2, 3))
	d, err := Open(dir, false)
	require.NoError(t, err)
	require.Equal(t, []string{"cat", "dog"}, d.Classes())
	require.Equal(t, Shape{2, 3, 3}, d.Shape())
	require.Equal(t, 3, d.Train.N)
	require.Equal(t, []uint8{0, 1, 0}, d.Train.Labels, "classes in turn: cat/b, dog/a, cat/c")
	require.Equal(t, []uint8{40, 50, 60, 40, 50, 61, 40, 50, 62}, d.Train.Pixels[:9], "cat/b.png's first row, channels last")
	require.Equal(t, uint8(10), d.Train.Pixels[18], "then dog/a.png")
	require.Equal(t, []uint8{1}, d.Test.Labels)

	put("test", "bird", "e.png", rgb(0, 0, 0))
	_, err = Open(dir, false)
	require.ErrorContains(t, err, `class "bird"`)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "test", "bird")))
	put("test", "cat", "f.png", image.NewGray(image.Rect(0, 0, 4, 4)))
	_, err = Open(dir, false)
	require.ErrorContains(t, err, "pixels; the set's images are")

	grey := t.TempDir()
	for i, split := range []string{"train", "train", "test"} {
		p := filepath.Join(grey, split, []string{"a", "b", "a"}[i])
		require.NoError(t, os.MkdirAll(p, 0o755))
		f, _ := os.Create(filepath.Join(p, "x.png"))
		png.Encode(f, image.NewGray(image.Rect(0, 0, 5, 5)))
		f.Close()
	}
	g, err := Open(grey, false)
	require.NoError(t, err)
	require.Equal(t, Shape{5, 5, 1}, g.Shape())
}

// A set known only by the SHA-256 of its published .gz files (KMNIST's
// publisher gives no other) is verified by those: four matching files are
// that set with its class names, one file recompressed is corrupt.
func TestPublishedFilesAreVerifiedAsStored(t *testing.T) {
	src := dataDir(t)
	dir := t.TempDir()
	published := map[string]string{}
	for _, f := range []string{TrainImages, TrainLabels, TestImages, TestLabels} {
		b, err := os.ReadFile(filepath.Join(src, f+".gz"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f+".gz"), b, 0o644))
		sum := sha256.Sum256(b)
		published[f] = hex.EncodeToString(sum[:])
	}
	set := Set{Name: "published", Published: published, Classes: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}}
	defer func(k []Set) { Known = k }(Known)
	Known = []Set{set}
	d, err := Open(dir, false)
	require.NoError(t, err)
	require.Equal(t, "published", d.Verified)
	require.Equal(t, "j", d.Classes()[9])
	_, err = Load(set, dir, "test", false)
	require.NoError(t, err)

	// The same labels, gzipped anew: the bytes inside agree, the file does not.
	_, raw, _, err := readFile(dir, TestLabels)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(raw)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, TestLabels+".gz"), buf.Bytes(), 0o644))
	_, err = Open(dir, false)
	require.ErrorContains(t, err, "SHA-256 of the file is")
	_, err = Load(set, dir, "test", false)
	require.ErrorContains(t, err, "recompressed")
}

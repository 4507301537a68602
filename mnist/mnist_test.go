package mnist

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dataDir is the real MNIST folder, from EBM_DATA (CI sets it).
func dataDir(t *testing.T) string {
	d := os.Getenv(EnvVar)
	if d == "" {
		t.Skipf("%s is not set: no MNIST folder to read", EnvVar)
	}
	return d
}

func TestLoadsMNISTWithKnownFacts(t *testing.T) {
	dir := dataDir(t)
	train, err := Load(MNIST, dir, "train", false)
	require.NoError(t, err)
	require.Equal(t, 60000, train.N)
	require.Equal(t, 28, train.Rows)
	require.Equal(t, 28, train.Cols)
	require.Equal(t, []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Labels[:10])
	counts := make([]int, 10)
	for _, l := range train.Labels {
		counts[l]++
	}
	require.Equal(t, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, counts)
	// Mean pixel 0.1307 on [0,1] is 2*0.1307-1 on [-1,1].
	var sum float64
	lo, hi := float32(0), float32(0)
	for _, v := range train.Floats(0, train.N) {
		sum += float64(v)
		lo, hi = min(lo, v), max(hi, v)
	}
	require.InDelta(t, 2*0.1307-1, sum/float64(len(train.Pixels)), 1e-3)
	require.Equal(t, float32(-1), lo)
	require.Equal(t, float32(1), hi)

	test, err := Load(MNIST, dir, "test", false)
	require.NoError(t, err)
	require.Equal(t, 10000, test.N)
}

func TestLoadsFashionMNIST(t *testing.T) {
	dir := filepath.Join(filepath.Dir(dataDir(t)), "fashion-mnist")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no Fashion-MNIST beside %s", dataDir(t))
	}
	d, err := Load(FashionMNIST, dir, "test", false)
	require.NoError(t, err)
	require.Equal(t, 10000, d.N)
}

// idx builds an IDX file: header then data.
func idx(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(data)
	return b.Bytes()
}

func TestParseIDXRejectsMalformedFiles(t *testing.T) {
	good := idx(0x803, []uint32{2, 2, 3}, make([]byte, 12))
	dims, data, err := ParseIDX("x", good)
	require.NoError(t, err)
	require.Equal(t, []int{2, 2, 3}, dims)
	require.Len(t, data, 12)

	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":       {nil, "too short"},
		"bad magic":   {idx(0x804, []uint32{1}, []byte{1}), "magic number 0x00000804"},
		"short hdr":   {idx(0x803, []uint32{2}, nil), "too short for a 3-dimensional header"},
		"truncated":   {idx(0x803, []uint32{2, 2, 3}, make([]byte, 11)), "need 12 data bytes, file has 11"},
		"padded":      {idx(0x801, []uint32{3}, make([]byte, 4)), "need 3 data bytes, file has 4"},
		"zero dim":    {idx(0x801, []uint32{0}, nil), "dimension 0 = 0"},
		"huge counts": {idx(0x803, []uint32{1 << 24, 1 << 24, 1 << 24}, nil), "more than 2^31 values"},
		"huge dim":    {idx(0x801, []uint32{1 << 25}, nil), "dimension 0 = 33554432: out of range"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParseIDX("file.idx", c.b)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "file.idx", fe.File)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// fakeSet writes a tiny data set (n images of 2x2, raw or gzip) and returns
// a Set whose hashes match it.
func fakeSet(t *testing.T, dir string, n int, gz bool) Set {
	rng := rand.New(rand.NewPCG(1, 1))
	pix := make([]byte, n*4)
	for i := range pix {
		pix[i] = byte(rng.IntN(256))
	}
	lbl := make([]byte, n)
	for i := range lbl {
		lbl[i] = byte(i % 10)
	}
	set := Set{Name: "fake", Files: map[string]string{}}
	for name, content := range map[string][]byte{
		TrainImages: idx(0x803, []uint32{uint32(n), 2, 2}, pix),
		TrainLabels: idx(0x801, []uint32{uint32(n)}, lbl),
	} {
		sum := sha256.Sum256(content)
		set.Files[name] = hex.EncodeToString(sum[:])
		path := filepath.Join(dir, name)
		if gz {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(content)
			w.Close()
			content, path = b.Bytes(), path+".gz"
		}
		require.NoError(t, os.WriteFile(path, content, 0o644))
	}
	return set
}

func TestLoadReadsRawAndGzipAndScalesPixels(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		set := fakeSet(t, dir, 5, gz)
		d, err := Load(set, dir, "train", false)
		require.NoError(t, err)
		require.Equal(t, 5, d.N)
		require.Equal(t, 4, d.Dim())
		raw, _ := os.ReadFile(filepath.Join(dir, TrainImages))
		if gz {
			_, b, _, _ := readFile(dir, TrainImages)
			raw = b
		}
		require.InDelta(t, float64(raw[16])/127.5-1, float64(d.Image(0, make([]float32, d.Dim()))[0]), 1e-6)
		require.Len(t, d.Subset(3).Labels, 3)
	}
}

func TestLoadNamesTheProblem(t *testing.T) {
	dir := t.TempDir()
	set := fakeSet(t, dir, 5, false)

	// Missing file, no download: the message says where to put the files.
	_, err := Load(set, t.TempDir(), "train", false)
	require.ErrorContains(t, err, "not found in")
	require.ErrorContains(t, err, "put the four fake IDX files")

	// A corrupted byte fails the hash check, naming the file.
	p := filepath.Join(dir, TrainImages)
	b, _ := os.ReadFile(p)
	b[20] ^= 1
	require.NoError(t, os.WriteFile(p, b, 0o644))
	_, err = Load(set, dir, "train", false)
	require.ErrorContains(t, err, p)
	require.ErrorContains(t, err, "SHA-256")

	// A damaged gzip stream fails while reading, naming the file once.
	gzDir := t.TempDir()
	gzSet := fakeSet(t, gzDir, 5, true)
	gp := filepath.Join(gzDir, TrainImages+".gz")
	gb, _ := os.ReadFile(gp)
	require.NoError(t, os.WriteFile(gp, gb[:len(gb)-6], 0o644))
	_, err = Load(gzSet, gzDir, "train", false)
	require.ErrorContains(t, err, "reading")
	require.Equal(t, 1, strings.Count(err.Error(), gp), err.Error())

	_, err = Load(set, dir, "validation", false)
	require.ErrorContains(t, err, `split "validation"`)
	_, err = Load(set, "", "train", false)
	require.ErrorContains(t, err, EnvVar)
}

// Missing files come from the first mirror that serves them, are verified
// and cached; a mirror serving wrong bytes is refused.
func TestDownloadVerifiesAndCaches(t *testing.T) {
	src := t.TempDir()
	set := fakeSet(t, src, 7, true)
	var hits int
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.ServeFile(w, r, filepath.Join(src, filepath.Base(r.URL.Path)))
	}))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write([]byte("not mnist"))
		z.Close()
		w.Write(b.Bytes())
	}))
	defer bad.Close()

	set.Mirrors = []string{bad.URL + "/", good.URL + "/"}
	cache := filepath.Join(t.TempDir(), "cache")
	d, err := Load(set, cache, "train", true)
	require.NoError(t, err)
	require.Equal(t, 7, d.N)
	require.FileExists(t, filepath.Join(cache, TrainImages+".gz"))
	hits = 0
	_, err = Load(set, cache, "train", true)
	require.NoError(t, err)
	require.Zero(t, hits, "the second load reads the cache")

	set.Mirrors = []string{bad.URL + "/"}
	_, err = Load(set, t.TempDir(), "train", true)
	require.ErrorContains(t, err, "no mirror served it")
}

func TestBatchesCoverEveryExampleOnce(t *testing.T) {
	bs := Batches(10, 3, rand.New(rand.NewPCG(1, 2)), false)
	require.Len(t, bs, 4)
	seen := map[int]bool{}
	for _, b := range bs {
		for _, i := range b {
			require.False(t, seen[i])
			seen[i] = true
		}
	}
	require.Len(t, seen, 10)
	require.Len(t, Batches(10, 3, rand.New(rand.NewPCG(1, 2)), true), 3)
	require.Equal(t, bs, Batches(10, 3, rand.New(rand.NewPCG(1, 2)), false), "same seed, same order")
}

func FuzzParseIDX(f *testing.F) {
	f.Add(idx(0x803, []uint32{1, 2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idx(0x801, []uint32{3}, []byte{1, 2, 3}))
	f.Add([]byte{0, 0, 8, 3, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := ParseIDX("fuzz", b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range dims {
			require.Positive(t, d)
			n *= d
		}
		require.Len(t, data, n)
	})
}

// Shift moves every pixel by (dy, dx), all its channels together, and
// fills what comes in from outside with background; shifting back
// restores the pixels that stayed inside.
func TestShiftMovesPixelsAndFillsBackground(t *testing.T) {
	for _, ch := range []int{1, 3} {
		s := Shape{4, 5, ch}
		rows, cols := s.Rows, s.Cols
		src := make([]float32, s.Dim())
		for i := range src {
			src[i] = float32(i) / 100
		}
		at := func(img []float32, r, c, k int) float32 { return img[(r*cols+c)*ch+k] }
		dst := make([]float32, s.Dim())
		Shift(dst, src, s, 1, -2)
		for r := range rows {
			for c := range cols {
				for k := range ch {
					if r-1 >= 0 && c+2 < cols {
						require.Equal(t, at(src, r-1, c+2, k), at(dst, r, c, k), "pixel (%d,%d,%d)", r, c, k)
					} else {
						require.Equal(t, float32(-1), at(dst, r, c, k), "pixel (%d,%d,%d) came from outside", r, c, k)
					}
				}
			}
		}
		back := make([]float32, s.Dim())
		Shift(back, dst, s, -1, 2)
		for r := range rows - 1 {
			for c := 2; c < cols; c++ {
				for k := range ch {
					require.Equal(t, at(src, r, c, k), at(back, r, c, k))
				}
			}
		}
		Shift(dst, src, s, 0, 0)
		require.Equal(t, src, dst)
	}
}

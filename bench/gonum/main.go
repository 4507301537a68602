// Command gonum times gonum's pure-Go blas32 SGEMM on the shapes of
// BenchmarkSgemm and prints one JSON object per line, like blas_peers.py.
// It lives in the bench module so gonum never enters the product's go.sum.
//
//	gonum [peer name] [shapes, comma-separated m x k x n: all if none]
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

var shapes = []struct {
	form    string
	m, k, n int
}{
	{"NN", 64, 784, 512}, {"NN", 64, 512, 512}, {"NN", 64, 512, 10},
	{"NN", 256, 784, 512}, {"NN", 256, 512, 512}, {"NN", 256, 512, 10},
	{"NT", 64, 512, 784}, {"NT", 64, 512, 512}, {"NT", 64, 10, 512},
	{"NT", 256, 512, 784}, {"NT", 256, 512, 512},
	{"TN", 784, 64, 512}, {"TN", 512, 64, 512}, {"TN", 512, 64, 10},
	{"TN", 784, 256, 512}, {"TN", 512, 256, 512},
	{"NN", 1024, 1024, 1024}, {"NN", 2048, 2048, 2048},
}

func general(rng *rand.Rand, rows, cols int) blas32.General {
	g := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range g.Data {
		g.Data[i] = float32(rng.NormFloat64())
	}
	return g
}

func main() {
	peer := "gonum"
	if len(os.Args) > 1 {
		peer = os.Args[1]
	}
	var only []string
	if len(os.Args) > 2 {
		only = strings.Split(os.Args[2], ",")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	enc := json.NewEncoder(os.Stdout)
	for _, s := range shapes {
		shape := fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n)
		if only != nil && !slices.Contains(only, shape) {
			continue
		}
		ta, tb := blas.NoTrans, blas.NoTrans
		ar, ac, br, bc := s.m, s.k, s.k, s.n
		if s.form[0] == 'T' {
			ta, ar, ac = blas.Trans, s.k, s.m
		}
		if s.form[1] == 'T' {
			tb, br, bc = blas.Trans, s.n, s.k
		}
		a, b, c := general(rng, ar, ac), general(rng, br, bc), general(rng, s.m, s.n)
		best := 0.0
		for range 3 {
			reps, start := 0, time.Now()
			for time.Since(start) < 100*time.Millisecond || reps == 0 {
				blas32.Gemm(ta, tb, 1, a, b, 0, c)
				reps++
			}
			best = max(best, 2*float64(s.m*s.n*s.k)*float64(reps)/time.Since(start).Seconds()/1e9)
		}
		if err := enc.Encode(map[string]any{"peer": peer, "form": s.form, "shape": shape, "gflops": float64(int(best*10)) / 10}); err != nil {
			panic(err)
		}
	}
}

// Command matmul is a gonum program outside the ebm module: it times
// mat.Dense.Mul with gonum's native BLAS, then again after the one line
// that plugs in the ebm kernels, and prints the speed-up.
//
//	go run . [-sizes 256,1024,2048] [-json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ebm-project/ebm/gonumblas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"
)

// result is one size's timing; GFLOP/s count 2n^3 flops per product.
type result struct {
	N        int     `json:"n"`
	Native   float64 `json:"native_gflops"`
	Adapter  float64 `json:"adapter_gflops"`
	SpeedUp  float64 `json:"speed_up"`
	MaxError float64 `json:"max_row_sum_diff"` // infinity norm of native - adapter
}

func main() {
	sizes := flag.String("sizes", "256,1024,2048", "square matrix sizes, comma-separated")
	asJSON := flag.Bool("json", false, "print one JSON object per size")
	minTime := flag.Duration("time", time.Second, "minimum timing per size and BLAS")
	flag.Parse()
	if *minTime <= 0 {
		log.Fatalf("matmul: -time %v: must be positive", *minTime)
	}
	if !*asJSON {
		fmt.Printf("%6s  %14s  %14s  %8s\n", "n", "gonum GFLOP/s", "ebm GFLOP/s", "speed-up")
	}
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("matmul: bad size %q in -sizes", f)
		}
		r := measure(n, *minTime)
		if *asJSON {
			if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
				log.Fatal(err)
			}
			continue
		}
		fmt.Printf("%6d  %14.1f  %14.1f  %7.1fx\n", r.N, r.Native, r.Adapter, r.SpeedUp)
	}
}

func measure(n int, minTime time.Duration) result {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	a, b := random(rng, n), random(rng, n)
	var want, got mat.Dense
	blas64.Use(gonum.Implementation{})
	native := gflops(n, minTime, func() { want.Mul(a, b) })
	blas64.Use(gonumblas.Implementation{})
	adapter := gflops(n, minTime, func() { got.Mul(a, b) })
	blas64.Use(gonum.Implementation{})
	var diff mat.Dense
	diff.Sub(&want, &got)
	return result{N: n, Native: native, Adapter: adapter, SpeedUp: adapter / native, MaxError: mat.Norm(&diff, math.Inf(1))}
}

func random(rng *rand.Rand, n int) *mat.Dense {
	v := make([]float64, n*n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return mat.NewDense(n, n, v)
}

// gflops runs mul once to warm up, then until minTime has passed, and
// returns the rate.
func gflops(n int, minTime time.Duration, mul func()) float64 {
	mul()
	reps, start := 0, time.Now()
	for time.Since(start) < minTime {
		mul()
		reps++
	}
	return 2 * float64(n) * float64(n) * float64(n) * float64(reps) / time.Since(start).Seconds() / 1e9
}

// Package eval measures a trained model: classification quality and
// calibration, separation of in- and out-of-distribution data, and
// distances between sample and data distributions.
package eval

import (
	"fmt"
	"math"
	"slices"
)

// AUROC is the probability that a random positive scores above a random
// negative (ties count one half): the area under the ROC curve, computed
// from ranks in O(n log n).
func AUROC(pos, neg []float64) (float64, error) {
	if len(pos) == 0 || len(neg) == 0 {
		return 0, fmt.Errorf("eval: auroc needs both classes (%d positives, %d negatives)", len(pos), len(neg))
	}
	type item struct {
		v   float64
		pos bool
	}
	all := make([]item, 0, len(pos)+len(neg))
	for _, v := range pos {
		all = append(all, item{v, true})
	}
	for _, v := range neg {
		all = append(all, item{v, false})
	}
	for _, it := range all {
		if math.IsNaN(it.v) {
			return 0, fmt.Errorf("eval: auroc: a score is NaN")
		}
	}
	slices.SortFunc(all, func(a, b item) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	// Sum of the positives' ranks, ties sharing their mean rank.
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1..j
		for q := i; q < j; q++ {
			if all[q].pos {
				rankSum += mean
			}
		}
		i = j
	}
	np, nn := float64(len(pos)), float64(len(neg))
	return (rankSum - np*(np+1)/2) / (np * nn), nil
}

// Bin is one bar of a reliability diagram.
type Bin struct {
	Lo, Hi     float64 // confidence range
	Count      int
	Confidence float64 // mean confidence in the bin
	Accuracy   float64 // share of correct predictions in the bin
}

// ECE is the expected calibration error over bins equal-width bins of
// confidence: sum over bins of (count/n) * |accuracy - confidence|.
func ECE(confidence []float64, correct []bool, bins int) (float64, []Bin, error) {
	if len(confidence) != len(correct) || len(confidence) == 0 || bins <= 0 {
		return 0, nil, fmt.Errorf("eval: ece: %d confidences, %d outcomes, %d bins", len(confidence), len(correct), bins)
	}
	out := make([]Bin, bins)
	for b := range out {
		out[b].Lo, out[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, c := range confidence {
		if c < 0 || c > 1 || math.IsNaN(c) {
			return 0, nil, fmt.Errorf("eval: ece: confidence %v outside [0,1]", c)
		}
		b := min(bins-1, int(c*float64(bins)))
		out[b].Count++
		out[b].Confidence += c
		if correct[i] {
			out[b].Accuracy++
		}
	}
	var ece float64
	for b := range out {
		if out[b].Count == 0 {
			continue
		}
		n := float64(out[b].Count)
		out[b].Confidence /= n
		out[b].Accuracy /= n
		ece += n / float64(len(confidence)) * math.Abs(out[b].Accuracy-out[b].Confidence)
	}
	return ece, out, nil
}

// Gaussian is the mean and covariance of a set of feature vectors.
type Gaussian struct {
	Dim  int
	Mean []float64
	Cov  []float64 // Dim x Dim, unbiased (n-1)
}

// Fit estimates the Gaussian of n vectors of dim values stored row-major.
func Fit(x []float32, dim int) (Gaussian, error) {
	if dim <= 0 || len(x)%dim != 0 || len(x)/dim < 2 {
		return Gaussian{}, fmt.Errorf("eval: fit: %d values is not at least two vectors of %d", len(x), dim)
	}
	n := len(x) / dim
	g := Gaussian{Dim: dim, Mean: make([]float64, dim), Cov: make([]float64, dim*dim)}
	for i := range n {
		for j := range dim {
			g.Mean[j] += float64(x[i*dim+j])
		}
	}
	for j := range g.Mean {
		g.Mean[j] /= float64(n)
	}
	d := make([]float64, dim)
	for i := range n {
		for j := range dim {
			d[j] = float64(x[i*dim+j]) - g.Mean[j]
		}
		for a := range dim {
			da := d[a]
			row := g.Cov[a*dim : (a+1)*dim]
			for b := a; b < dim; b++ {
				row[b] += da * d[b]
			}
		}
	}
	for a := range dim {
		for b := a; b < dim; b++ {
			v := g.Cov[a*dim+b] / float64(n-1)
			g.Cov[a*dim+b], g.Cov[b*dim+a] = v, v
		}
	}
	return g, nil
}

// FID is the Fréchet distance between two Gaussians:
// |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)). The trace of the root is
// the sum of square roots of the eigenvalues of S1^(1/2) S2 S1^(1/2), which
// is symmetric, so only symmetric eigenproblems are solved.
func FID(a, b Gaussian) (float64, error) {
	if a.Dim != b.Dim {
		return 0, fmt.Errorf("eval: fid: dimensions %d and %d differ", a.Dim, b.Dim)
	}
	n := a.Dim
	var d2 float64
	for i := range n {
		d := a.Mean[i] - b.Mean[i]
		d2 += d * d
	}
	root := sqrtSym(a.Cov, n)
	m := mul(mul(root, b.Cov, n), root, n)
	vals, _ := eigenSym(m, n)
	var trRoot float64
	for _, v := range vals {
		trRoot += math.Sqrt(math.Max(v, 0))
	}
	var tr float64
	for i := range n {
		tr += a.Cov[i*n+i] + b.Cov[i*n+i]
	}
	return math.Max(0, d2+tr-2*trRoot), nil
}

func mul(x, y []float64, n int) []float64 {
	out := make([]float64, n*n)
	for i := range n {
		for k := range n {
			xv := x[i*n+k]
			if xv == 0 {
				continue
			}
			for j := range n {
				out[i*n+j] += xv * y[k*n+j]
			}
		}
	}
	return out
}

// sqrtSym is the symmetric square root V diag(sqrt(max(l,0))) V^T.
func sqrtSym(s []float64, n int) []float64 {
	vals, vecs := eigenSym(s, n)
	out := make([]float64, n*n)
	for k, l := range vals {
		r := math.Sqrt(math.Max(l, 0))
		for i := range n {
			vi := vecs[i*n+k] * r
			for j := range n {
				out[i*n+j] += vi * vecs[j*n+k]
			}
		}
	}
	return out
}

// eigenSym diagonalises a symmetric matrix by cyclic Jacobi rotations:
// eigenvalues, and eigenvectors as the columns of an n x n matrix.
func eigenSym(s []float64, n int) ([]float64, []float64) {
	a := slices.Clone(s)
	v := make([]float64, n*n)
	for i := range n {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off, norm float64
		for i := range n {
			for j := range n {
				if i != j {
					off += a[i*n+j] * a[i*n+j]
				}
				norm += a[i*n+j] * a[i*n+j]
			}
		}
		if off <= 1e-30*math.Max(norm, 1e-300) {
			break
		}
		for p := 0; p < n-1; p++ {
			for q := p + 1; q < n; q++ {
				apq := a[p*n+q]
				if apq == 0 {
					continue
				}
				theta := (a[q*n+q] - a[p*n+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				sn := t * c
				for k := range n {
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p], a[k*n+q] = c*akp-sn*akq, sn*akp+c*akq
				}
				for k := range n {
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k], a[q*n+k] = c*apk-sn*aqk, sn*apk+c*aqk
				}
				for k := range n {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p], v[k*n+q] = c*vkp-sn*vkq, sn*vkp+c*vkq
				}
			}
		}
	}
	vals := make([]float64, n)
	for i := range n {
		vals[i] = a[i*n+i]
	}
	return vals, v
}

// Counts is the histogram of labels over classes (labels outside 0..classes-1
// are not counted).
func Counts(labels []int, classes int) []int {
	counts := make([]int, max(classes, 0))
	for _, l := range labels {
		if l >= 0 && l < classes {
			counts[l]++
		}
	}
	return counts
}

// Coverage is the entropy of a label histogram divided by log(classes): 1
// when every class is equally frequent, 0 when one class takes all.
func Coverage(labels []int, classes int) float64 {
	if len(labels) == 0 || classes < 2 {
		return 0
	}
	var h float64
	for _, c := range Counts(labels, classes) {
		if c > 0 {
			p := float64(c) / float64(len(labels))
			h -= p * math.Log(p)
		}
	}
	return h / math.Log(float64(classes))
}

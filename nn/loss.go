package nn

import "math"

// LogSumExp returns log sum_j exp(z_j), computed stably (max shifted out).
func LogSumExp(z []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, float64(v))
	}
	if math.IsInf(mx, 0) {
		return mx
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// Softmax writes p_j = exp(z_j - lse) into p and returns lse = LogSumExp(z).
func Softmax(p, z []float32) float64 {
	lse := LogSumExp(z)
	for j, v := range z {
		p[j] = float32(math.Exp(float64(v) - lse))
	}
	return lse
}

// CrossEntropy is -log softmax(z)[y] = lse(z) - z[y].
func CrossEntropy(z []float32, y int) float64 { return LogSumExp(z) - float64(z[y]) }

// Argmax returns the index of the largest value (the first on ties).
func Argmax(z []float32) int {
	best := 0
	for j, v := range z {
		if v > z[best] {
			best = j
		}
	}
	return best
}

//go:build !race

package kernels

func raceRead(s []float32) float32 { return 0 }

func raceWrite(s []float32) {}

func raceGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
}

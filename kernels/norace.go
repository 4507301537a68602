//go:build !race

package kernels

func raceRead[E element](s []E) E { return 0 }

func raceWrite[E element](s []E) {}

func raceGemm[E element](transA, transB bool, m, n, k int, a []E, lda int, b []E, ldb int, c []E, ldc int) {
}

func raceMatrix[E element](s []E, ld, r, cols int, write bool) {}

func raceGathered(x []float32, rows []int, extent int) {}

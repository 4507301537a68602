//go:build race

package kernels

// The race detector cannot see memory touched by assembly. In race builds the
// entry points first read and write the same memory from Go, so a data race
// on a kernel's operands is reported as if the kernel were Go.

//go:noinline
func raceRead[E element](s []E) E {
	var sum E
	for _, v := range s {
		sum += v
	}
	return sum
}

func raceWrite[E element](s []E) {
	for i := range s {
		s[i] = s[i]
	}
}

// raceMatrix reads (or writes) every element of an r x cols matrix with row
// stride ld.
func raceMatrix[E element](s []E, ld, r, cols int, write bool) {
	if cols == 0 {
		return
	}
	for i := range r {
		if write {
			raceWrite(s[i*ld : i*ld+cols])
		} else {
			raceRead(s[i*ld : i*ld+cols])
		}
	}
}

func raceGemm[E element](transA, transB bool, m, n, k int, a []E, lda int, b []E, ldb int, c []E, ldc int) {
	rows := raceMatrix[E]
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	rows(a, lda, ar, ac, false)
	rows(b, ldb, br, bc, false)
	rows(c, ldc, m, n, true)
}

// raceGathered reads, from Go, every row a gathered product reads.
func raceGathered(x []float32, rows []int, extent int) {
	for _, r := range rows {
		raceRead(x[r : r+extent+1])
	}
}

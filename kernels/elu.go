package kernels

import "fmt"

// EluForward writes y = x where x > 0 and alpha*(e^x - 1) elsewhere; NaN
// stays NaN, -Inf gives -alpha. y and x have equal length and may be the
// same slice; partial overlap is not allowed.
func EluForward(y, x []float32, alpha float32) error {
	if len(y) != len(x) {
		return fmt.Errorf("kernels: elu forward: len(y) = %d, len(x) = %d: lengths differ", len(y), len(x))
	}
	if len(x) == 0 {
		return nil
	}
	raceRead(x)
	raceWrite(y)
	active.Load().eluFwd(y, x, alpha)
	return nil
}

// EluBackward writes dx = dy * ELU'(x), computed from the forward output y:
// 1 where y > 0, y + alpha elsewhere (alpha*e^x). This equals the derivative
// in x for alpha > 0, the only case nn uses. dx may alias dy.
func EluBackward(dx, dy, y []float32, alpha float32) error {
	if len(dx) != len(y) || len(dy) != len(y) {
		return fmt.Errorf("kernels: elu backward: len(dx) = %d, len(dy) = %d, len(y) = %d: lengths differ", len(dx), len(dy), len(y))
	}
	if len(y) == 0 {
		return nil
	}
	raceRead(dy)
	raceRead(y)
	raceWrite(dx)
	active.Load().eluBwd(dx, dy, y, alpha)
	return nil
}

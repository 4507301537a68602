package train

import (
	"github.com/ebm-project/ebm/mnist"
	"github.com/ebm-project/ebm/nn"
)

// validationBatch is the batch of a validation pass. Each image's logits
// do not depend on it: GEMM rows are computed independently.
const validationBatch = 256

// Validation returns the mean cross-entropy and the accuracy of the
// trainer's model on d.
func (t *Trainer) Validation(d *mnist.Dataset) (loss, acc float64, err error) {
	return validation(t.Model, t.evalWS, d, t.valX)
}

// validation is the trainer's Validation for any model m, with x room for
// a batch of images as floats.
func validation(m *nn.Net, ws *nn.Workspace, d *mnist.Dataset, x []float32) (loss, acc float64, err error) {
	out, dim := m.Out(), m.In()
	correct := 0
	for lo := 0; lo < d.N; lo += ws.MaxBatch() {
		n := min(ws.MaxBatch(), d.N-lo)
		for i := range n {
			d.Image(lo+i, x[i*dim:(i+1)*dim])
		}
		logits, err := ws.Forward(x, n)
		if err != nil {
			return 0, 0, err
		}
		for i := range n {
			z := logits[i*out : (i+1)*out]
			y := int(d.Labels[lo+i])
			loss += nn.CrossEntropy(z, y)
			if nn.Argmax(z) == y {
				correct++
			}
		}
	}
	return loss / float64(d.N), float64(correct) / float64(d.N), nil
}

package nn

import (
	"errors"
	"fmt"

	"github.com/ebm-project/ebm/kernels"
)

// Workspace holds the activations of one batch: what the forward pass
// keeps for the backward pass. One goroutine uses it at a time; the network's
// weights may be shared by many workspaces.
//
// A workspace made with NewParallelWorkspace splits each layer's products
// over a pool of workers: the forward pass and the input gradient by blocks
// of images, the parameter gradients by blocks of columns. Every element is
// computed exactly as by the whole product (rows of a product are
// independent, and a column's sum over the batch runs in the same order),
// so the results are bit-identical to a serial workspace's for any split.
type Workspace struct {
	m        *Net
	maxBatch int
	n        int         // images in the last forward pass
	x        []float32   // the last input (not copied)
	acts     [][]float32 // acts[l] = output of layer l (post-ELU; logits for the last)
	deltas   [][]float32 // deltas[l] = dLoss/d(pre-activation of layer l)
	patches  [][]float32 // patches[l] = a convolution's input patches, the left factor of its weight gradient
	patched  []bool      // patched[l]: patches[l] holds the last Forward's (copied out for a weight gradient only)
	padded   [][]float32 // padded[l] = a convolution's input images, zero-padded, read in place by its forward product
	starts   [][]int     // starts[l] = where each of its patches starts in padded[l]
	dPatches []float32   // a convolution's gradient at its patches, before col2im
	tpad     [][]float32 // tpad[l] = a convolution's output gradients, zero-padded, read in place by its phases' products
	tstarts  [][][]int   // tstarts[l][phase] = where each pixel's window starts in tpad[l]
	tout     []float32   // a phase product's rows, before they go to their pixels
	dx       []float32

	// Parallel workspaces: the pool, and the layer step it is running.
	run     Parallel
	parts   int     // blocks a product is cut into: the pool's workers
	errs    []error // per task
	layer   int
	in      []float32
	g       *Grads
	wantDx  bool
	fwdTask func(worker, task int)
	bwdTask func(worker, task int)
	patTask func(worker, task int)
}

// Parallel runs f(worker, task) for every task in [0, tasks) on a pool of
// workers and returns when all are done.
type Parallel func(tasks int, f func(worker, task int))

// NewWorkspace allocates buffers for batches of up to maxBatch rows.
func (m *Net) NewWorkspace(maxBatch int) *Workspace {
	ws := &Workspace{m: m, maxBatch: maxBatch, dx: make([]float32, maxBatch*m.In())}
	dPatches, tout := 0, 0
	for _, l := range m.Layers {
		ws.acts = append(ws.acts, make([]float32, maxBatch*l.OutSize()))
		ws.deltas = append(ws.deltas, make([]float32, maxBatch*l.OutSize()))
		var p, padded, tpad []float32
		var starts []int
		var tstarts [][]int
		if c := l.Conv; c != nil {
			p = make([]float32, maxBatch*l.Rows()*l.In)
			padded, starts = make([]float32, maxBatch*c.paddedSize()), c.patchStarts(maxBatch)
			if t := l.tconv; t != nil {
				tpad, tstarts = make([]float32, maxBatch*t.paddedSize(c)), t.starts(c, maxBatch)
				tout = max(tout, maxBatch*t.maxPixels()*c.InC)
			} else {
				dPatches = max(dPatches, len(p))
			}
		}
		ws.patches = append(ws.patches, p)
		ws.padded, ws.starts = append(ws.padded, padded), append(ws.starts, starts)
		ws.tpad, ws.tstarts = append(ws.tpad, tpad), append(ws.tstarts, tstarts)
	}
	ws.patched = make([]bool, len(m.Layers))
	ws.dPatches, ws.tout = make([]float32, dPatches), make([]float32, tout)
	return ws
}

// NewParallelWorkspace is NewWorkspace whose passes run on the pool run, cut
// into parts blocks (its number of workers).
func (m *Net) NewParallelWorkspace(maxBatch int, run Parallel, parts int) *Workspace {
	ws := m.NewWorkspace(maxBatch)
	ws.run, ws.parts = run, max(1, parts)
	ws.errs = make([]error, 2*ws.parts)
	ws.fwdTask, ws.bwdTask, ws.patTask = ws.forwardTask, ws.backwardTask, ws.patchTask
	return ws
}

// MaxBatch is the largest batch the workspace takes.
func (ws *Workspace) MaxBatch() int { return ws.maxBatch }

var errBatch = errors.New("nn: batch larger than the workspace")

// Forward runs n images of x (n x In, row-major) and returns the logits
// (n x Out), owned by the workspace and valid until its next Forward.
func (ws *Workspace) Forward(x []float32, n int) ([]float32, error) {
	m := ws.m
	if n > ws.maxBatch || n < 0 {
		return nil, fmt.Errorf("%w: %d images, workspace holds %d", errBatch, n, ws.maxBatch)
	}
	if len(x) < n*m.In() {
		return nil, fmt.Errorf("nn: forward: input has %d values, %d images of %d need %d", len(x), n, m.In(), n*m.In())
	}
	ws.n, ws.x = n, x
	clear(ws.patched)
	in := x
	for li := range m.Layers {
		if ws.run == nil {
			if err := ws.forwardRows(li, in, 0, n); err != nil {
				return nil, err
			}
		} else {
			ws.layer, ws.in = li, in
			if err := ws.parallel(ws.parts, ws.fwdTask); err != nil {
				return nil, err
			}
		}
		in = ws.acts[li][:n*m.Layers[li].OutSize()]
	}
	return ws.acts[len(m.Layers)-1][:n*m.Out()], nil
}

// byChunks runs f over [r0, r1) in blocks of a layer's chunk of images
// (the whole range where it has none), so that the patch gradients of a
// block are still in cache when col2im reads them.
func (ws *Workspace) byChunks(li, r0, r1 int, f func(c0, c1 int) error) error {
	step := max(1, r1-r0)
	if l := ws.m.Layers[li]; l.chunk > 0 {
		step = l.chunk
	}
	for c0 := r0; c0 < r1; c0 += step {
		if err := f(c0, min(r1, c0+step)); err != nil {
			return err
		}
	}
	return nil
}

// forwardRows computes images [r0, r1) of layer li's output from its
// input: in*W + b (for a convolution, the patches of the images padded,
// read where they lie), then ELU below the last layer.
func (ws *Workspace) forwardRows(li int, in []float32, r0, r1 int) error {
	l := ws.m.Layers[li]
	p := l.Rows()
	out := ws.acts[li][r0*p*l.Out : r1*p*l.Out]
	fillRows(out, l.B)
	if c := l.Conv; c != nil {
		c.padInto(ws.padded[li][r0*c.paddedSize():], in[r0*c.In():], r1-r0)
		if err := kernels.SgemmGathered(1, c.gathered(ws.padded[li], ws.starts[li][r0*p:r1*p]), &l.packed[packedW], 1, out, l.Out); err != nil {
			return err
		}
	} else if err := kernels.SgemmPacked(r1-r0, 1, in[r0*l.In:], l.In, &l.packed[packedW], 1, out, l.Out); err != nil {
		return err
	}
	if li+1 < len(ws.m.Layers) {
		return kernels.EluForward(out, out, EluAlpha)
	}
	return nil
}

// fillRows writes row into every len(row)-float row of dst, doubling the
// rows written with each copy: a convolution's outputs are thousands of
// rows of a few dozen floats, one call each otherwise.
func fillRows(dst, row []float32) {
	if len(dst) == 0 {
		return
	}
	done := copy(dst, row)
	for done < len(dst) {
		done += copy(dst[done:], dst[:done])
	}
}

// Activation returns layer l's output (post-ELU for hidden layers) from the
// last Forward: n x Layers[l].OutSize(), owned by the workspace.
func (ws *Workspace) Activation(l int) []float32 {
	return ws.acts[l][:ws.n*ws.m.Layers[l].OutSize()]
}

// backward propagates dLogits (n x Out) down to the first layer's
// pre-activation. With g non-nil it accumulates parameter gradients; with
// wantDx it also computes the input gradient into ws.dx.
func (ws *Workspace) backward(dLogits []float32, g *Grads, wantDx bool) error {
	m, n := ws.m, ws.n
	L := len(m.Layers)
	if len(dLogits) < n*m.Out() {
		return fmt.Errorf("nn: backward: %d output gradients for %d rows of %d", len(dLogits), n, m.Out())
	}
	copy(ws.deltas[L-1][:n*m.Out()], dLogits)
	for li := L - 1; li >= 0; li-- {
		if g != nil && m.Layers[li].Conv != nil && !ws.patched[li] {
			if err := ws.copyPatches(li); err != nil {
				return err
			}
		}
		if ws.run == nil {
			if g != nil {
				if err := ws.paramGradCols(li, g, 0, m.Layers[li].Out); err != nil {
					return err
				}
			}
			if li > 0 || wantDx {
				if err := ws.inputGradRows(li, 0, n); err != nil {
					return err
				}
			}
			continue
		}
		// Parameter gradients by column blocks and the input gradient by
		// row blocks are independent: one batch of tasks does both.
		ws.layer, ws.g, ws.wantDx = li, g, wantDx
		if err := ws.parallel(2*ws.parts, ws.bwdTask); err != nil {
			return err
		}
	}
	return nil
}

// copyPatches writes the patches of convolution li's input in the last
// Forward (im2col), the left factor of its weight gradient.
func (ws *Workspace) copyPatches(li int) error {
	ws.layer = li
	if ws.run == nil {
		ws.patchImages(li, 0, ws.n)
	} else if err := ws.parallel(ws.parts, ws.patTask); err != nil {
		return err
	}
	ws.patched[li] = true
	return nil
}

func (ws *Workspace) patchImages(li, r0, r1 int) {
	l := ws.m.Layers[li]
	in := ws.x
	if li > 0 {
		in = ws.acts[li-1]
	}
	im2col(l.Conv, ws.patches[li][r0*l.Rows()*l.In:], in[r0*l.Conv.In():], r1-r0)
}

func (ws *Workspace) patchTask(_, t int) {
	r0, r1 := block(ws.n, ws.parts, t, rowUnit)
	ws.patchImages(ws.layer, r0, r1)
}

// layerInput is the left factor of layer li's product in the last
// Forward: its input, or for a convolution the input's patches.
func (ws *Workspace) layerInput(li int) []float32 {
	l := ws.m.Layers[li]
	switch {
	case l.Conv != nil:
		return ws.patches[li][:ws.n*l.Rows()*l.In]
	case li == 0:
		return ws.x
	}
	return ws.acts[li-1][:ws.n*l.In]
}

// paramGradCols accumulates columns [c0, c1) of layer li's parameter
// gradients: dW += in^T * delta, db += the column sums of delta.
func (ws *Workspace) paramGradCols(li int, g *Grads, c0, c1 int) error {
	l := ws.m.Layers[li]
	if c1 <= c0 {
		return nil
	}
	n := ws.n * l.Rows()
	delta := ws.deltas[li][:n*l.Out]
	if err := kernels.Sgemm(true, false, l.In, c1-c0, n, 1, ws.layerInput(li), l.In, delta[c0:], l.Out, 1, g.G[2*li][c0:], l.Out); err != nil {
		return err
	}
	db := g.G[2*li+1]
	for r := range n {
		for j, v := range delta[r*l.Out+c0 : r*l.Out+c1] {
			db[c0+j] += v
		}
	}
	return nil
}

// inputGradRows computes images [r0, r1) of the gradient at layer li's
// input, delta * W^T (summed from the patches onto the pixels for a
// convolution), through ELU below the first layer (into deltas[li-1]), or
// into dx at the first.
func (ws *Workspace) inputGradRows(li, r0, r1 int) error {
	return ws.byChunks(li, r0, r1, func(c0, c1 int) error { return ws.inputGradImages(li, c0, c1) })
}

func (ws *Workspace) inputGradImages(li, r0, r1 int) error {
	l := ws.m.Layers[li]
	p, size := l.Rows(), l.InSize()
	delta := ws.deltas[li][r0*p*l.Out : r1*p*l.Out]
	var dIn []float32
	if li > 0 {
		dIn = ws.deltas[li-1][r0*size : r1*size]
	} else {
		dIn = ws.dx[r0*size : r1*size]
	}
	switch {
	case l.tconv != nil:
		// Images [r0, r1) have their own part of tout: workers run blocks of images at once.
		np := l.tconv.maxPixels() * l.Conv.InC
		if err := l.tconv.inputGrad(l.Conv, dIn, delta, ws.tpad[li], ws.tout[r0*np:r1*np], ws.tstarts[li], r0, r1); err != nil {
			return err
		}
	case l.Conv != nil:
		dPatches := ws.dPatches[r0*p*l.In : r1*p*l.In]
		if err := kernels.SgemmPacked((r1-r0)*p, 1, delta, l.Out, &l.packed[packedWT], 0, dPatches, l.In); err != nil {
			return err
		}
		col2im(l.Conv, dIn, dPatches, r1-r0)
	default:
		if err := kernels.SgemmPacked(r1-r0, 1, delta, l.Out, &l.packed[packedWT], 0, dIn, l.In); err != nil {
			return err
		}
	}
	if li > 0 {
		in := ws.acts[li-1][r0*size : r1*size]
		return kernels.EluBackward(dIn, dIn, in, EluAlpha)
	}
	return nil
}

// block is the t-th of parts blocks of [0, n), edges on multiples of unit.
func block(n, parts, t, unit int) (int, int) {
	per := (n + parts - 1) / parts
	per = (per + unit - 1) / unit * unit
	return min(n, t*per), min(n, (t+1)*per)
}

// Image blocks end on multiples of 8 and column blocks of 32: whole register
// tiles of every kernel implementation.
const rowUnit, colUnit = 8, 32

func (ws *Workspace) forwardTask(_, t int) {
	r0, r1 := block(ws.n, ws.parts, t, rowUnit)
	ws.errs[t] = ws.forwardRows(ws.layer, ws.in, r0, r1)
}

// backwardTask: tasks [0, parts) are column blocks of the parameter
// gradients, the rest row blocks of the input gradient.
func (ws *Workspace) backwardTask(_, t int) {
	li := ws.layer
	if t < ws.parts {
		if ws.g != nil {
			c0, c1 := block(ws.m.Layers[li].Out, ws.parts, t, colUnit)
			ws.errs[t] = ws.paramGradCols(li, ws.g, c0, c1)
		}
		return
	}
	if li > 0 || ws.wantDx {
		r0, r1 := block(ws.n, ws.parts, t-ws.parts, rowUnit)
		ws.errs[t] = ws.inputGradRows(li, r0, r1)
	}
}

// parallel runs tasks on the pool and returns the first task's error.
func (ws *Workspace) parallel(tasks int, f func(worker, task int)) error {
	clear(ws.errs[:tasks])
	ws.run(tasks, f)
	for _, err := range ws.errs[:tasks] {
		if err != nil {
			return err
		}
	}
	return nil
}

// Backward accumulates into g the gradient of a loss whose gradient with
// respect to the logits of the last Forward is dLogits.
func (ws *Workspace) Backward(dLogits []float32, g *Grads) error {
	return ws.backward(dLogits, g, false)
}

// InputGrad returns the gradient with respect to the input of the last
// Forward (n x In, owned by the workspace) for a loss with logits gradient
// dLogits. No parameter gradient is computed: this is what sampling needs.
func (ws *Workspace) InputGrad(dLogits []float32) ([]float32, error) {
	if err := ws.backward(dLogits, nil, true); err != nil {
		return nil, err
	}
	return ws.dx[:ws.n*ws.m.In()], nil
}

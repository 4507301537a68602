package nn

// Element-wise work over all parameters (the optimiser's update, the
// moving average, the gradient norm) is cut into chunks of at most
// chunkSize values of one parameter slice. The chunks do not depend on the
// number of workers, and sums over them are added in chunk order, so a
// parallel pass gives the same bits as a serial one.
const chunkSize = 1 << 14

// chunk is values [lo, hi) of parameter slice param.
type chunk struct{ param, lo, hi int }

func chunksOf(params [][]float32) []chunk {
	var out []chunk
	for i, p := range params {
		for lo := 0; lo < len(p); lo += chunkSize {
			out = append(out, chunk{i, lo, min(len(p), lo+chunkSize)})
		}
	}
	return out
}

// each runs f over tasks, on the pool run when there is one.
func each(run Parallel, tasks int, f func(worker, task int)) {
	if run == nil {
		for t := range tasks {
			f(0, t)
		}
		return
	}
	run(tasks, f)
}

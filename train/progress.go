package train

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressPrinter returns a Hooks.Progress that redraws one line on a
// terminal and prints about ten lines an epoch elsewhere.
func progressPrinter(w io.Writer) func(epoch, done, total int, itPerSec, loss float64) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	lastDecile := -1
	return func(epoch, done, total int, itPerSec, loss float64) {
		eta := time.Duration(float64(total-done) / max(itPerSec, 1e-9) * float64(time.Second)).Round(time.Second)
		line := fmt.Sprintf("epoch %d [%d/%d] %.1f it/s loss %.4f ETA %s", epoch, done, total, itPerSec, loss, eta)
		if tty {
			fmt.Fprintf(w, "\r%-70s", line)
			return
		}
		if dec := done * 10 / total; dec != lastDecile {
			lastDecile = dec
			fmt.Fprintln(w, line)
		}
	}
}

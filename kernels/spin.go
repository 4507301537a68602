package kernels

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A product split over goroutines (SgemmParallel, DgemmParallel) runs its
// first part on the calling goroutine and hands the others to helpers:
// goroutines that ran a part of an earlier product and stay a moment
// afterwards, spinning, offering to run another. Starting a goroutine on
// an idle processor wakes a sleeping thread, tens of microseconds under a
// hypervisor, a fifth of a 64x512x512 product; with no spinning helper a
// part gets a new goroutine, as before. Which goroutine runs a part never
// changes its result.

// helperSpin is how long a helper offers itself after its last part, and
// how long a caller spins for its parts before it sleeps.
const helperSpin = 100 * time.Microsecond

// Slot states.
const (
	slotEmpty    int32 = iota // no helper
	slotIdle                  // a helper spins here, waiting
	slotReserved              // a product is handing this helper a part
	slotBusy                  // the part is handed over, or running
)

type helperSlot struct {
	state atomic.Int32
	part  func() // written while reserved, read once busy
	_     [48]byte
}

// helperSlots bounds the helpers that spin at once.
var helperSlots [8]helperSlot

// parts counts a split product's parts still running; the last to finish
// wakes the caller if it went to sleep.
type pendingParts struct {
	left  atomic.Int32
	sleep atomic.Bool
	done  chan struct{}
}

func (p *pendingParts) finish() {
	if p.left.Add(-1) == 0 && p.sleep.Load() {
		p.done <- struct{}{}
	}
}

// wait returns once every part has finished: spinning at first, then
// asleep.
func (p *pendingParts) wait() {
	deadline := time.Now().Add(helperSpin)
	for n := 0; p.left.Load() > 0; n++ {
		if n%64 != 63 {
			continue
		}
		// Now and then: give way to a part waiting on this processor
		// (with fewer processors than parts), and look at the clock.
		runtime.Gosched()
		if time.Now().After(deadline) {
			p.sleep.Store(true)
			if p.left.Load() > 0 {
				<-p.done
			} else {
				// The last part finished before it could see sleep: it may
				// or may not send.
				select {
				case <-p.done:
				default:
				}
			}
			return
		}
	}
}

// runPart runs part on a spinning helper if one is free, else on a new
// goroutine, and tells p when it is done.
func runPart(part func(), p *pendingParts) {
	for i := range helperSlots {
		s := &helperSlots[i]
		if s.state.CompareAndSwap(slotIdle, slotReserved) {
			s.part = func() {
				part()
				p.finish()
			}
			s.state.Store(slotBusy)
			return
		}
	}
	go func() {
		part()
		p.finish()
		helpAfterwards()
	}()
}

// helpAfterwards offers the calling goroutine, its part done, to the next
// products for helperSpin, running what it is handed.
func helpAfterwards() {
	var s *helperSlot
	for i := range helperSlots {
		if helperSlots[i].state.CompareAndSwap(slotEmpty, slotIdle) {
			s = &helperSlots[i]
			break
		}
	}
	if s == nil {
		return
	}
	deadline := time.Now().Add(helperSpin)
	for n := 0; ; n++ {
		if s.state.Load() == slotBusy {
			part := s.part
			s.part = nil
			part()
			s.state.Store(slotIdle)
			deadline = time.Now().Add(helperSpin)
			continue
		}
		if n%64 != 63 {
			continue
		}
		runtime.Gosched()
		if time.Now().After(deadline) && s.state.CompareAndSwap(slotIdle, slotEmpty) {
			return
		}
	}
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// lineStream writes a streaming answer as newline-separated JSON, one
// object a line, each flushed at once; safe for concurrent use. Each write
// has a deadline: a client that takes nothing for the stream timeout is
// cut, and stop is called so that the work feeding the stream ends and
// frees its slot.
type lineStream struct {
	mu      sync.Mutex
	enc     *json.Encoder
	rc      *http.ResponseController
	timeout time.Duration
	stop    context.CancelFunc
	failed  bool
}

func (s *Server) newLineStream(w http.ResponseWriter, stop context.CancelFunc) *lineStream {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	return &lineStream{enc: json.NewEncoder(w), rc: http.NewResponseController(w), timeout: s.streamTimeout(), stop: stop}
}

// send writes one line; false when the page has gone away or stopped
// reading.
func (l *lineStream) send(v any) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sendLocked(v)
}

func (l *lineStream) sendLocked(v any) bool {
	if l.failed {
		return false
	}
	if !writeBefore(l.rc, time.Now().Add(l.timeout), func() error { return l.enc.Encode(v) }) {
		l.failed = true
		l.stop()
		return false
	}
	return true
}

// writeBefore writes and flushes, failing once the deadline passes with
// the client still not taking the bytes. (A writer that cannot set
// deadlines, as in tests through a recorder, writes without one.)
func writeBefore(rc *http.ResponseController, deadline time.Time, write func() error) bool {
	rc.SetWriteDeadline(deadline)
	if err := write(); err != nil {
		return false
	}
	if err := rc.Flush(); err != nil {
		return false
	}
	return true
}

// streamTimeout is how long a stream waits for a client that stops reading.
func (s *Server) streamTimeout() time.Duration {
	if s.cfg.StreamTimeout > 0 {
		return s.cfg.StreamTimeout
	}
	return defaultStreamTimeout
}

const defaultStreamTimeout = 5 * time.Second

// takeSlot takes one of a bounded number of places for long work, or
// answers 429 saying what the limit is.
func (s *Server) takeSlot(w http.ResponseWriter, slots chan struct{}, busy string) (release func(), ok bool) {
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, true
	default:
		s.fail(w, http.StatusTooManyRequests, fmt.Errorf("%s (the limit is %d)", busy, cap(slots)))
		return nil, false
	}
}

// workContext is done when the page goes away or the server closes.
func (s *Server) workContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// lineStream writes a streaming answer as newline-separated JSON, one
// object a line, each flushed at once; safe for concurrent use.
type lineStream struct {
	mu  sync.Mutex
	enc *json.Encoder
	f   http.Flusher
}

func newLineStream(w http.ResponseWriter) *lineStream {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	f, _ := w.(http.Flusher)
	return &lineStream{enc: json.NewEncoder(w), f: f}
}

// send writes one line; false when the page has gone away.
func (l *lineStream) send(v any) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sendLocked(v)
}

func (l *lineStream) sendLocked(v any) bool {
	if err := l.enc.Encode(v); err != nil {
		return false
	}
	if l.f != nil {
		l.f.Flush()
	}
	return true
}

// takeSlot takes one of a bounded number of places for long work, or
// answers 429 saying what the limit is.
func takeSlot(w http.ResponseWriter, slots chan struct{}, busy string) (release func(), ok bool) {
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, true
	default:
		fail(w, http.StatusTooManyRequests, fmt.Errorf("%s (the limit is %d)", busy, cap(slots)))
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

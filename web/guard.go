package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ebm-project/ebm/train"
)

// maxBody bounds every request body: a drawing and its mask are 1,568
// numbers.
const maxBody = 64 << 10

// guard checks what every request must pass before it is routed: a Host the
// server answers to, and for requests that start work or change state, an
// Origin of this server (a page on another site must not start a run on
// the user's machine). It bounds the body and turns a panic into a 500.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				fail(w, http.StatusInternalServerError, fmt.Errorf("internal error: %v", v))
			}
		}()
		if !s.hostAllowed(r.Host) {
			fail(w, http.StatusForbidden, fmt.Errorf("host %q is not this server's address", r.Host))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" {
				u, err := url.Parse(o)
				if err != nil || u.Host != r.Host {
					fail(w, http.StatusForbidden, fmt.Errorf("origin %q is not this server: requests that start work must come from its own page", o))
					return
				}
			}
			if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
				fail(w, http.StatusForbidden, errors.New("a cross-site request may not start work here"))
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// hostAllowed: on a loopback address, only loopback names with the
// server's port; elsewhere (given explicitly, with a warning) any name.
func (s *Server) hostAllowed(host string) bool {
	if s.cfg.Addr == "" {
		return true
	}
	lhost, lport, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(lhost); !(lhost == "localhost" || ip != nil && ip.IsLoopback()) {
		return true
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != lport {
		return false
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

// apiError is the body of every error response: one line, and the setting
// it is about when it is about one.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func fail(w http.ResponseWriter, status int, err error) {
	e := apiError{Error: strings.ReplaceAll(err.Error(), "\n", "; ")}
	var se *train.SettingError
	if errors.As(err, &se) {
		e.Field = se.Key
	}
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request body into v, refusing unknown fields and
// bodies over maxBody.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("request body over %d bytes", maxBody)
		}
		return fmt.Errorf("request body: %v", err)
	}
	return nil
}

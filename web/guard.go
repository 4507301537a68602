package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/ebm-project/ebm/train"
)

// maxBody bounds every request body: a drawing and its mask are 1,568
// numbers.
const maxBody = 64 << 10

// guard checks what every request must pass before it is routed: a Host the
// server answers to (an IP address, localhost, or a name the user allowed:
// a page whose own name is made to point at this machine, DNS rebinding,
// is refused on every address), and for the API, a request from the
// server's own page or from a program, not from another site's page (which
// may neither start work nor make the server compute). Pages may not be
// framed. It bounds the body and turns a panic into a 500.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.fail(w, http.StatusInternalServerError, fmt.Errorf("internal error: %v", v))
			}
		}()
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !s.hostAllowed(r.Host) {
			s.fail(w, http.StatusForbidden, fmt.Errorf("host %q is not a name this server answers to: use its IP address, localhost, or a name given to --allowed_hosts", r.Host))
			return
		}
		if err := sameOrigin(r); err != nil && (strings.HasPrefix(r.URL.Path, "/api/") || !safeMethod(r.Method)) {
			s.fail(w, http.StatusForbidden, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// sameOrigin refuses a request a browser sends on behalf of another site's
// page: its Origin names another server, or its Sec-Fetch-Site says it is
// not from this origin (same-site counts as foreign: another port of
// localhost is another program). Programs send neither header, and a
// typed address or a bookmark is "none".
func sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("origin %q is not this server: the API answers its own page only", o)
		}
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
		return nil
	default:
		return fmt.Errorf("a %s request may not use this server's API: only its own page may", site)
	}
}

// hostAllowed: an IP literal or localhost, or a name in AllowedHosts, with
// the server's port when the request names one.
func (s *Server) hostAllowed(host string) bool {
	if s.cfg.Addr == "" {
		return true
	}
	_, lport, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return false
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		h, p = host, lport // no port: the scheme's default, as a proxy may send
	}
	if p != lport {
		return false
	}
	h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
	if h == "localhost" || net.ParseIP(h) != nil {
		return true
	}
	return slices.Contains(s.cfg.AllowedHosts, h)
}

// apiError is the body of every error response: one line, and the setting
// it is about when it is about one.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	// Errors lists every bad setting when there are several (a form marks
	// each field at once).
	Errors []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

func (s *Server) fail(w http.ResponseWriter, status int, err error) {
	e := apiError{Error: s.scrub(err)}
	var se *train.SettingError
	if errors.As(err, &se) {
		e.Field = se.Key
	}
	for _, one := range flatten(err) {
		if errors.As(one, &se) {
			e.Errors = append(e.Errors, fieldError{se.Key, s.scrub(one)})
		}
	}
	writeJSON(w, status, e)
}

// flatten lists the errors joined in err (errors.Join, nested), or err.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// scrub is an error as one line for a client: paths inside the runs
// folder relative to it, the folders the server was given by their flags,
// no absolute path of the server's.
func (s *Server) scrub(err error) string {
	return strings.ReplaceAll(s.paths.Replace(err.Error()), "\n", "; ")
}

// pathScrubber replaces the runs and data folders, as given and as
// absolute paths, in text meant for a client.
func pathScrubber(cfg Config) *strings.Replacer {
	var pairs []string
	add := func(dir, name string) {
		if dir == "" {
			return
		}
		forms := []string{dir}
		if abs, err := filepath.Abs(dir); err == nil {
			forms = append(forms, abs)
			if real, err := filepath.EvalSymlinks(abs); err == nil {
				forms = append(forms, real)
			}
		}
		// Longest first: an absolute path before the relative one it ends with.
		slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
		for _, f := range slices.Compact(forms) {
			pairs = append(pairs, f+string(filepath.Separator), "", f, name)
		}
	}
	add(cfg.Runs, "--runs")
	add(cfg.DataDir, "--data_dir")
	return strings.NewReplacer(pairs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request body into v: one JSON object whose keys are
// exactly v's field names (encoding/json alone would take "Chains" for
// "chains"), nothing after it, at most maxBody bytes.
func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("request body over %d bytes", maxBody)
		}
		return fmt.Errorf("request body: %v", err)
	}
	var keys map[string]json.RawMessage
	if err := strictDecode(body, &keys); err != nil {
		return fmt.Errorf("request body: %v", err)
	}
	fields := jsonFields(reflect.TypeOf(v).Elem())
	for k := range keys {
		if !slices.Contains(fields, k) {
			return fmt.Errorf("request body: unknown field %q (the fields are %s)", k, strings.Join(fields, ", "))
		}
	}
	if err := strictDecode(body, v); err != nil {
		return fmt.Errorf("request body: %v", err)
	}
	return nil
}

// strictDecode decodes one JSON value and refuses anything after it.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// jsonFields are the JSON names of a struct's exported fields.
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A request that starts work must come from the server's own page: another
// Origin, a cross-site fetch or a Host that is not the server's loopback
// address is refused; bodies are bounded.
func TestRequestsFromElsewhereAreRefused(t *testing.T) {
	s := New(Config{Runs: t.TempDir(), Addr: "127.0.0.1:8080"})
	defer s.Close()
	do := func(method, host, origin, site, body string) (int, string) {
		r := httptest.NewRequest(method, "http://"+host+"/api/runs", strings.NewReader(body))
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	code, body := do("POST", "127.0.0.1:8080", "http://evil.example", "", "{}")
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, body, "origin")
	code, _ = do("POST", "127.0.0.1:8080", "", "cross-site", "{}")
	require.Equal(t, http.StatusForbidden, code)
	code, body = do("GET", "evil.example:8080", "", "", "")
	require.Equal(t, http.StatusForbidden, code, "DNS rebinding: a foreign name for the loopback server")
	require.Contains(t, body, "host")
	code, _ = do("GET", "127.0.0.1:9999", "", "", "")
	require.Equal(t, http.StatusForbidden, code, "another port")
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		code, _ = do("GET", host, "", "", "")
		require.Equal(t, http.StatusOK, code, host)
	}
	code, body = do("POST", "localhost:8080", "http://localhost:8080", "same-origin", `{"name":"`+strings.Repeat("x", maxBody)+`"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "over")
	code, body = do("POST", "localhost:8080", "http://localhost:8080", "same-origin", `{"nmae":"x"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "unknown field")

	// Off loopback too, a name is refused unless the user allowed it.
	open := New(Config{Runs: t.TempDir(), Addr: "0.0.0.0:8080", AllowedHosts: []string{"my-machine"}})
	defer open.Close()
	require.True(t, open.hostAllowed("my-machine:8080"))
	require.True(t, open.hostAllowed("MY-MACHINE.:8080"), "names are case-insensitive, a trailing dot is the same name")
	require.True(t, open.hostAllowed("192.0.2.7:8080"))
	require.False(t, open.hostAllowed("evil.example:8080"))
	require.False(t, open.hostAllowed("my-machine:9999"))
}

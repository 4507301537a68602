package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ebm-project/ebm/web"
)

// cmdServe runs the web app until Ctrl-C or SIGTERM, which stop a training
// it runs (checkpoint written) before it exits.
func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; anything but loopback exposes the app to the network")
	allowed := fs.String("allowed_hosts", "", "comma-separated host names requests may use besides IP addresses and localhost (e.g. the machine's name, when --addr is not loopback)")
	runs := fs.String("runs", "runs", "folder of run folders")
	dataDir := dataDirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*runs, 0o755); err != nil {
		return fmt.Errorf("--runs %s: %w", *runs, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	hosts, err := allowedHosts(*allowed)
	if err != nil {
		return err
	}
	url, warning := serveURL(ln.Addr().(*net.TCPAddr), hosts)
	if warning != "" {
		fmt.Fprintln(stderr, warning)
	}
	app := web.New(web.Config{Runs: *runs, DataDir: *dataDir, Addr: ln.Addr().String(), AllowedHosts: hosts})
	// No ReadTimeout: it would cancel a stream's request after it, mid-dream.
	// Streams set their own write deadlines (web.Config.StreamTimeout), and a
	// body is read before any slot is taken.
	if err := app.CheckData(); err != nil {
		fmt.Fprintf(stderr, "no data set: %v; the page lists runs, but trains, explores and evaluates nothing until the server is started with --data_dir (or $EBM_DATA) set\n", err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving %s (runs in %s); Ctrl-C stops\n", url, *runs)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "stopping: a training in progress writes its checkpoint first")
	app.Close()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// allowedHosts parses --allowed_hosts: names, not addresses or ports.
func allowedHosts(list string) ([]string, error) {
	var hosts []string
	for _, h := range strings.Split(list, ",") {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, ":/[] ") {
			return nil, fmt.Errorf("--allowed_hosts %q: give host names without a scheme or port", h)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// serveURL is an address a browser on this machine can open, and, when the
// server listens beyond loopback, the warning that says what that exposes.
func serveURL(addr *net.TCPAddr, hosts []string) (url, warning string) {
	port := strconv.Itoa(addr.Port)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1" // [::] and 0.0.0.0 are where it listens, not addresses to open
	}
	url = "http://" + net.JoinHostPort(host, port) + "/"
	if addr.IP.IsLoopback() {
		return url, ""
	}
	where := "on " + addr.String()
	if addr.IP.IsUnspecified() {
		where = "on every network interface, port " + port
	}
	names := "its IP addresses"
	if len(hosts) > 0 {
		names += " or " + strings.Join(hosts, ", ")
	}
	return url, fmt.Sprintf("warning: listening %s, not loopback: anyone who reaches this machine there can list, train, sample from and evaluate the runs, "+
		"and read their files; there is no login. Requests must name it by %s (--allowed_hosts adds names); pages of other sites are refused.", where, names)
}

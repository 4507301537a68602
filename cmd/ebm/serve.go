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
	"syscall"
	"time"

	"github.com/ebm-project/ebm/web"
)

// cmdServe runs the web app until Ctrl-C or SIGTERM, which stop a training
// it runs (checkpoint written) before it exits.
func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; anything but loopback exposes the app to the network")
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
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(stderr, "warning: listening on %s, not loopback: anyone who reaches this address can train and sample on this machine\n", ln.Addr())
	}
	app := web.New(web.Config{Runs: *runs, DataDir: *dataDir, Addr: ln.Addr().String()})
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving http://%s/ (runs in %s); Ctrl-C stops\n", ln.Addr(), *runs)
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

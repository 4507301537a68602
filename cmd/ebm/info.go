package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ebm-project/ebm/kernels"
)

func cmdInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	info := kernels.Describe()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(stdout, "cpu:      %s\nfeatures: %s\nkernels:  %s", info.CPU, strings.Join(info.Features, " "), info.Active)
	if info.EnvOverride != "" {
		fmt.Fprintf(stdout, " (%s=%s)", kernels.EnvVar, info.EnvOverride)
	}
	fmt.Fprintln(stdout)
	for _, im := range info.Implementations {
		state := "available"
		if !im.Available {
			state = "unavailable: " + im.Reason
		}
		fmt.Fprintf(stdout, "  %-8s tile %-5s dgemm %-5s requires %-18s %s\n", im.Name, im.Tile, im.DgemmTile, strings.Join(im.Requires, ","), state)
	}
	return nil
}

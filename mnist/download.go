package mnist

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ebm-project/ebm/internal/atomicfile"
)

// fetch downloads name.gz from the first mirror that answers, verifies it
// (its decompressed bytes, or the file as published) and caches it in dir (atomically, so a failed
// download leaves nothing behind).
func fetch(set Set, dir, name string) ([]byte, string, error) {
	var errs []string
	for _, base := range set.Mirrors {
		b, err := get(base + name + ".gz")
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		gz, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			errs = append(errs, base+": not gzip: "+err.Error())
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(gz, 1<<30))
		if err != nil {
			errs = append(errs, base+": "+err.Error())
			continue
		}
		sum := sha256.Sum256(b)
		stored := hex.EncodeToString(sum[:])
		if err := verify(base+name+".gz", raw, stored, set, name); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, "", fmt.Errorf("mnist: caching %s: %w", name, err)
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, name+".gz"), b); err != nil {
			return nil, "", fmt.Errorf("mnist: caching %s in %s: %w", name, dir, err)
		}
		return raw, stored, nil
	}
	return nil, "", fmt.Errorf("mnist: %s is not in %s and no mirror served it (%s); without internet, copy the four %s IDX files into %s",
		name+".gz", dir, strings.Join(errs, "; "), set.Name, dir)
}

func get(url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 256<<20))
}

package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/resource"
)

// resourceFetchTimeout bounds one download of a resource archive.
const resourceFetchTimeout = 10 * time.Minute

// resourceCache keeps the resource archives attempts use, unpacked under
// WorkDir/resources/<sha256>/, read-only: each is downloaded once (verified
// against its SHA-256, unpacked beside and renamed into place), however
// many attempts want it at once, and kept across attempts and restarts.
type resourceCache struct {
	dir    string
	client *client.Client
	log    *slog.Logger

	mu       sync.Mutex
	inflight map[string]*resourceFetch
	fetches  atomic.Int64 // archives downloaded
}

type resourceFetch struct {
	done chan struct{}
	err  error
}

func newResourceCache(workDir string, c *client.Client, log *slog.Logger) (*resourceCache, error) {
	dir := filepath.Join(workDir, "resources")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("resource cache: %w", err)
	}
	// Downloads a previous process left half-way.
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				_ = resource.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	return &resourceCache{dir: dir, client: c, log: log, inflight: map[string]*resourceFetch{}}, nil
}

// materialise puts the attempt's resources in dir: ./NAME/... for a
// directory, ./NAME for a file, read-only. An error names the resource.
func (c *resourceCache) materialise(workerID string, rs []client.AssignedResource, dir string) error {
	for _, r := range rs {
		if _, msg := resourceName(r.Name); msg != "" {
			return fmt.Errorf("resource %q: %s", r.Name, msg)
		}
		src, err := c.get(workerID, r.Sha256)
		if err != nil {
			return fmt.Errorf("resource %s@%d: %w", r.Name, r.Version, err)
		}
		if r.Kind == vocab.ResourceFile {
			src = filepath.Join(src, resource.FileEntry)
		}
		if err := resource.CopyTree(src, filepath.Join(dir, r.Name)); err != nil {
			return fmt.Errorf("resource %s@%d: %w", r.Name, r.Version, err)
		}
	}
	return nil
}

// resourceName checks a name from an assignment: it becomes a path.
func resourceName(name string) (string, string) {
	clean, err := resource.CleanPath(name)
	if err != nil || clean == "" || strings.ContainsAny(clean, "/.") {
		return "", "not a valid resource name"
	}
	return clean, ""
}

// get returns the directory holding the unpacked archive, downloading it
// unless it is here or on its way.
func (c *resourceCache) get(workerID, sum string) (string, error) {
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", fmt.Errorf("bad sha256 %q", sum)
	}
	final := filepath.Join(c.dir, sum)
	c.mu.Lock()
	if _, err := os.Stat(final); err == nil {
		c.mu.Unlock()
		return final, nil
	}
	f, waiting := c.inflight[sum]
	if !waiting {
		f = &resourceFetch{done: make(chan struct{})}
		c.inflight[sum] = f
	}
	c.mu.Unlock()
	if waiting {
		<-f.done
		return final, f.err
	}
	f.err = c.download(workerID, sum, final)
	c.mu.Lock()
	delete(c.inflight, sum)
	c.mu.Unlock()
	close(f.done)
	return final, f.err
}

func (c *resourceCache) download(workerID, sum, final string) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), resourceFetchTimeout)
	defer cancel()
	tmp, err := os.CreateTemp(c.dir, ".download-")
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
	h := sha256.New()
	if err := c.client.WorkerResource(ctx, workerID, sum, io.MultiWriter(tmp, h)); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("fetch: content has sha256 %s, want %s", got, sum)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	unpacked := tmp.Name() + ".d"
	if err := resource.Unpack(tmp, unpacked); err != nil {
		_ = resource.RemoveAll(unpacked)
		return err
	}
	if err := os.Rename(unpacked, final); err != nil {
		_ = resource.RemoveAll(unpacked)
		return fmt.Errorf("fetch: %w", err)
	}
	c.fetches.Add(1)
	c.log.Info("resource fetched", "sha256", sum, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

package tlsconf

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultCheckInterval is how often, at most, a certificate's files are
// looked at for a change.
const DefaultCheckInterval = time.Second

// keyPair is a certificate and key loaded from two files and loaded again
// when they change.
type keyPair struct {
	certFile, keyFile string
	every             time.Duration
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   pairStamp // of the files last tried
	checked time.Time // when the files were last looked at
}

// fileStamp tells whether a file changed: a rename over it (or a symlink
// swap, as Kubernetes does for mounted secrets) changes the inode, an
// edit in place the modification time or the size.
type fileStamp struct {
	mod   time.Time
	size  int64
	inode uint64
}

type pairStamp [2]fileStamp

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), inode: inodeOf(fi)}, nil
}

func stampPair(certFile, keyFile string) (pairStamp, error) {
	c, err := stampOf(certFile)
	if err != nil {
		return pairStamp{}, err
	}
	k, err := stampOf(keyFile)
	if err != nil {
		return pairStamp{}, err
	}
	return pairStamp{c, k}, nil
}

// newKeyPair loads the pair; an error names both files.
func newKeyPair(certFile, keyFile, certKey, keyKey string, every time.Duration, log *slog.Logger) (*keyPair, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "":
		return nil, fmt.Errorf("%s is set but %s is not: give both", keyKey, certKey)
	case keyFile == "":
		return nil, fmt.Errorf("%s is set but %s is not: give both", certKey, keyKey)
	}
	k := &keyPair{certFile: certFile, keyFile: keyFile, every: every, log: log, now: time.Now}
	if k.every <= 0 {
		k.every = DefaultCheckInterval
	}
	stamp, err := stampPair(certFile, keyFile)
	if err == nil {
		k.cert, err = loadPair(certFile, keyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s, %s %s: %w", certKey, certFile, keyKey, keyFile, err)
	}
	k.stamp, k.checked = stamp, k.now()
	k.logLoaded("tls certificate loaded")
	return k, nil
}

func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// get returns the current certificate, loading the files again first when
// they changed since they were last looked at (at most once per interval).
func (k *keyPair) get() *tls.Certificate {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if now.Sub(k.checked) < k.every {
		return k.cert
	}
	k.checked = now
	stamp, err := stampPair(k.certFile, k.keyFile)
	if err != nil || stamp == k.stamp {
		// A file missing for a moment (being replaced) is tried again
		// at the next check; the current pair stays in service.
		return k.cert
	}
	k.stamp = stamp
	c, err := loadPair(k.certFile, k.keyFile)
	if err != nil {
		k.log.Error("tls certificate changed on disk but does not load: keeping the previous one",
			"cert_file", k.certFile, "key_file", k.keyFile, "err", err)
		return k.cert
	}
	k.cert = c
	k.logLoaded("tls certificate reloaded")
	return k.cert
}

func (k *keyPair) logLoaded(msg string) {
	leaf := k.cert.Leaf
	if leaf == nil {
		k.log.Info(msg, "cert_file", k.certFile)
		return
	}
	k.log.Info(msg, "cert_file", k.certFile, "subject", leaf.Subject.String(),
		"serial", leaf.SerialNumber.String(), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	if left := leaf.NotAfter.Sub(k.now()); left < 7*24*time.Hour {
		k.log.Warn("tls certificate expires soon", "cert_file", k.certFile,
			"not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "left", left.Round(time.Minute))
	}
}

package main

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// secretFrom returns value, else the first line of the file (key names
// the config key of the file, for errors).
func secretFrom(value, file, key string) (string, error) {
	if value != "" || file == "" {
		return strings.TrimSpace(value), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line), nil
}

// credentials is the file `baton login` writes
// (~/.config/baton/credentials.yaml, mode 0600): like kubeconfig, named
// contexts of servers, CA and token, one of them current.
type credentials struct {
	Current  string        `yaml:"current,omitempty"`
	Contexts []credContext `yaml:"contexts"`
}

type credContext struct {
	Name    string   `yaml:"name"`
	Servers []string `yaml:"servers"`
	CA      string   `yaml:"ca,omitempty"`
	Token   string   `yaml:"token"`
}

// credentialsPath is BATON_CREDENTIALS, else credentials.yaml in the
// user's config directory.
func credentialsPath() (string, error) {
	if p := os.Getenv("BATON_CREDENTIALS"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("credentials file: %w", err)
	}
	return filepath.Join(dir, "baton", "credentials.yaml"), nil
}

func loadCredentials() (credentials, string, error) {
	path, err := credentialsPath()
	if err != nil {
		return credentials{}, "", err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return credentials{}, path, nil
	}
	if err != nil {
		return credentials{}, path, fmt.Errorf("credentials file: %w", err)
	}
	var c credentials
	if err := yaml.Unmarshal(data, &c); err != nil {
		return credentials{}, path, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return c, path, nil
}

func (c credentials) save(path string) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // an old file of that name kept its mode
		return fmt.Errorf("credentials file: %w", err)
	}
	return os.Rename(tmp, path)
}

// set adds or replaces a context and makes it current.
func (c *credentials) set(ctx credContext) {
	i := slices.IndexFunc(c.Contexts, func(x credContext) bool { return x.Name == ctx.Name })
	if i >= 0 {
		c.Contexts[i] = ctx
	} else {
		c.Contexts = append(c.Contexts, ctx)
	}
	c.Current = ctx.Name
}

// forServers returns the context of one of the urls, else the current
// context if no urls are given.
func (c credentials) forServers(urls []string) (credContext, bool) {
	for _, ctx := range c.Contexts {
		for _, s := range ctx.Servers {
			for _, u := range urls {
				for _, part := range strings.Split(u, ",") {
					if sameServer(s, part) {
						return ctx, true
					}
				}
			}
		}
	}
	if len(urls) == 0 {
		for _, ctx := range c.Contexts {
			if ctx.Name == c.Current {
				return ctx, true
			}
		}
	}
	return credContext{}, false
}

func sameServer(a, b string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }
	return norm(a) == norm(b) && norm(a) != ""
}

// devCLIToken finds the admin token `baton dev` wrote in its data directory
// (./.baton by default, or BATON_DEV_DIR), when the server is on loopback.
func devCLIToken(urls []string) string { return devFileToken(urls, devAdminTokenFile) }

// devFileToken reads a token file of baton dev's data directory when
// every server of urls is on loopback.
func devFileToken(urls []string, file string) string {
	for _, u := range urls {
		for _, part := range strings.Split(u, ",") {
			pu, err := url.Parse(strings.TrimSpace(part))
			if err != nil {
				return ""
			}
			ip := net.ParseIP(pu.Hostname())
			if pu.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return ""
			}
		}
	}
	dir := cmp.Or(os.Getenv("BATON_DEV_DIR"), ".baton")
	tok, err := secretFrom("", filepath.Join(dir, file), "")
	if err != nil {
		return ""
	}
	return tok
}

package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// No container engine runs on the development machines: this test reads
// the Dockerfile instead of building it, and checks that it stamps the
// version as `make build` does and makes a static, non-root image.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	xflag := regexp.MustCompile(`-X (\S+)=`)
	names := func(s string) []string {
		var out []string
		for _, m := range xflag.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	if _, err := exec.LookPath("make"); err == nil {
		flags, err := exec.Command("make", "--no-print-directory", "-s", "-C", "..", "ldflags").Output()
		if err != nil {
			t.Fatalf("make ldflags: %v", err)
		}
		if got, want := names(df), names(string(flags)); !slices.Equal(got, want) || len(want) != 3 {
			t.Errorf("Dockerfile stamps %v, make build %v", got, want)
		}
	}
	for _, want := range []string{
		"CGO_ENABLED=0 go build -trimpath", // static, no local paths
		"-buildvcs=false",                  // no .git in the context: the commit is a build argument
		"\nFROM scratch\n",                 // the default target is the last stage
		"/etc/ssl/certs/ca-certificates.crt",
		"USER 65532:65532",
		"VOLUME /data",
		"AS worker",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	last := df[strings.LastIndex(df, "\nFROM "):]
	if !strings.Contains(last, "USER 65532") || strings.Contains(last, "USER root") {
		t.Errorf("the default image does not run as a non-root user:\n%s", last)
	}
}

package worker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// errOutputsTooLarge: the task's $BATON_OUTPUT file is larger than
// MaxOutputBytes. The task fails: outputs cut short could feed wrong
// values to the tasks downstream.
var errOutputsTooLarge = errors.New("outputs too large")

// readOutputs parses the $BATON_OUTPUT file a task wrote, of at most limit
// bytes (else errOutputsTooLarge, and no outputs). A missing file means no
// outputs. problems lists the lines that were ignored, for the task's
// stderr log.
func readOutputs(path string, limit int64) (outputs map[string]string, problems []string, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read outputs: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read outputs: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("%w: BATON_OUTPUT is larger than the limit of %d bytes (max_output_bytes)",
			errOutputsTooLarge, limit)
	}
	outputs, problems = parseOutputs(data)
	return outputs, problems, nil
}

// parseOutputs parses key=value lines. Blank lines and lines starting with
// # are skipped; a line without "=" (or with an empty key) is reported in
// problems. A key given twice keeps its last value.
func parseOutputs(data []byte) (outputs map[string]string, problems []string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			problems = append(problems, fmt.Sprintf("BATON_OUTPUT line %d is not key=value: %q", n, clip(line, 80)))
			continue
		}
		if outputs == nil {
			outputs = map[string]string{}
		}
		outputs[key] = value
	}
	return outputs, problems
}

// clip shortens s to at most n bytes, cut on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:runeCut(s, n)] + "…"
}

// runeCut returns the largest cut point <= n (n < len(s)) that does not
// split a UTF-8 sequence, or n itself when s is not UTF-8 there.
func runeCut[T string | []byte](s T, n int) int {
	for cut := n; cut > 0 && cut > n-utf8.UTFMax; cut-- {
		if utf8.RuneStart(s[cut]) {
			return cut
		}
	}
	return n
}

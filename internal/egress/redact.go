package egress

import (
	"net/url"
	"regexp"
	"strings"
)

// credentialParam matches query parameter names that carry credentials.
var credentialParam = regexp.MustCompile(`(?i)(token|key|secret|passw|pwd|sig|auth|credential|session|code|jwt|bearer)`)

// Redact returns u with its credentials masked as "***": the password of
// its user information, and the values of query parameters whose names
// look like tokens, keys, secrets, passwords or signatures. A string that
// is not a URL is masked whole. Redact is for showing and logging a URL;
// the URL itself is kept to be used.
func Redact(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Opaque != "" {
		return "***"
	}
	if parsed.User != nil {
		if _, has := parsed.User.Password(); has {
			parsed.User = url.UserPassword(parsed.User.Username(), "***")
		} else if parsed.User.Username() != "" {
			parsed.User = url.User("***")
		}
	}
	if parsed.RawQuery != "" {
		parts := strings.Split(parsed.RawQuery, "&")
		for i, kv := range parts {
			k, _, _ := strings.Cut(kv, "=")
			name, err := url.QueryUnescape(k)
			if err != nil || credentialParam.MatchString(name) {
				parts[i] = k + "=***"
			}
		}
		parsed.RawQuery = strings.Join(parts, "&")
	}
	if parsed.Fragment != "" {
		parsed.Fragment, parsed.RawFragment = "***", ""
	}
	return strings.Replace(parsed.String(), "%2A%2A%2A", "***", 1)
}

// HasCredentials says whether Redact would mask anything of u.
func HasCredentials(u string) bool { return Redact(u) != u }

package gateway

import (
	"net/http"
	"net/url"
	"strings"
)

// originAllowed applies SPEC §10's origin check. A request without Origin
// (not a browser) is allowed. With no allowed list, the Origin's host must
// be the request's Host. Otherwise an entry matches the whole origin
// ("https://app.example.com"), or its host when the entry has no scheme
// ("app.example.com:8443"); "*" matches any origin.
func originAllowed(allowed []string, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if len(allowed) == 0 {
		return strings.EqualFold(u.Host, r.Host)
	}
	for _, a := range allowed {
		switch {
		case a == "*":
			return true
		case strings.Contains(a, "://") && strings.EqualFold(strings.TrimSuffix(a, "/"), origin):
			return true
		case !strings.Contains(a, "://") && strings.EqualFold(a, u.Host):
			return true
		}
	}
	return false
}

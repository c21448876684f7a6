package ops

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMountPprof(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pprof bool
		want  int
	}{
		{name: "off by default", pprof: false, want: http.StatusNotFound},
		{name: "on", pprof: true, want: http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			Mount(mux, prometheus.NewRegistry(), func() error { return nil })
			if tc.pprof {
				MountPprof(mux)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/goroutine?debug=1", nil))
			if rec.Code != tc.want {
				t.Fatalf("GET /debug/pprof/goroutine: status %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

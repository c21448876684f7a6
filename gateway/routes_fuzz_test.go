package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/roomshard/roomshard/cluster/roomid"
)

// routeMux is the gateway's route table with handlers that only record
// the room address the route extracted, so routing and validation can be
// fuzzed without a cluster.
func routeMux(got *roomAddr, hit *bool) *http.ServeMux {
	mux := http.NewServeMux()
	record := func(f addrFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { *got, *hit = f(r), true }
	}
	named := func(r *http.Request) roomAddr { return roomAddr{namespace: "broadcast", name: r.PathValue("name")} }
	nsNamed := func(r *http.Request) roomAddr {
		return roomAddr{namespace: r.PathValue("namespace"), name: r.PathValue("name")}
	}
	nsObject := func(r *http.Request) roomAddr {
		return roomAddr{namespace: r.PathValue("namespace"), id: r.PathValue("id")}
	}
	mux.HandleFunc("/rooms/{name}/websocket", record(named))
	mux.HandleFunc("/ns/{namespace}/rooms/{name}/websocket", record(nsNamed))
	mux.HandleFunc("/ns/{namespace}/objects/{id}/websocket", record(nsObject))
	return mux
}

// FuzzRoomRoute: for any request path, routing and refFor never panic, a
// name or id they accept is valid (1..256 bytes of UTF-8; 64 hex), and the
// room id is the one every node computes. A name escaped into a path comes
// back unescaped and intact.
func FuzzRoomRoute(f *testing.F) {
	for _, s := range []string{"lobby", "a/b", "%2F", "..", "caf\u00e9", "\xff", "", string(make([]byte, 300)), "x?y#z", "%zz"} {
		f.Add(s, "/rooms/"+url.PathEscape(s)+"/websocket")
	}
	f.Add("", "/ns/chat/objects/"+roomid.FromName("chat", "x")+"/websocket")
	f.Add("", "/ns/%2e%2e/rooms/%00/websocket")
	f.Fuzz(func(t *testing.T, name, rawPath string) {
		var got roomAddr
		var hit bool
		mux := routeMux(&got, &hit)
		serve := func(path string) {
			u, err := url.Parse(path)
			if err != nil || u.Path == "" || u.Path[0] != '/' {
				return
			}
			hit = false
			mux.ServeHTTP(httptest.NewRecorder(), &http.Request{Method: http.MethodGet, URL: u, Host: "gw", Header: http.Header{}})
			if !hit {
				return
			}
			ref, status, msg := refFor(got)
			if status != 0 {
				if status != http.StatusBadRequest || msg == "" {
					t.Fatalf("refFor(%+v) = %d %q", got, status, msg)
				}
				return
			}
			if got.id == "" && (got.name == "" || len(got.name) > 256 || !utf8.ValidString(got.name) || ref.GetId() != roomid.FromName(got.namespace, got.name)) {
				t.Fatalf("accepted name %q as %v", got.name, ref)
			}
			if roomid.CheckID(ref.GetId()) != nil {
				t.Fatalf("accepted bad id %q", ref.GetId())
			}
		}
		serve(rawPath)
		serve("/rooms/" + url.PathEscape(name) + "/websocket")
		if hit && got.name != name {
			t.Fatalf("name %q routed as %q", name, got.name)
		}
	})
}

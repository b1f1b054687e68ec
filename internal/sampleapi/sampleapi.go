// Package sampleapi is the built-in sample API behind `corsvcr demo` and the
// integration tests. One handler plays several services, chosen by the Host
// header, each reproducing a CORS setup seen in the field:
//
//	localhost:8000  a FastAPI-style API for a Vue dev page at localhost:8080:
//	                correct for GET and JSON POST with credentials, exposes
//	                X-Total-Count, but PUT is not in Allow-Methods and
//	                X-Client-Version is not in Allow-Headers
//	localhost:8001  a chat backend answering Access-Control-Allow-Origin: *
//	                to every request, credentialed ones included
//	localhost:8002  a legacy API that sends no CORS headers at all
//	localhost:8003  a staging API whose allow-list holds only
//	                http://localhost:3000 and which always echoes that value
//	localhost:8004  the same API as 8000 but Access-Control-Allow-Credentials
//	                is missing
//
// The services bind nowhere themselves: callers serve Handler on a loopback
// listener and map these names to it (recorder.Config.Upstreams).
package sampleapi

import (
	_ "embed"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Hosts are the authorities the sample API answers for.
var Hosts = []string{"localhost:8000", "localhost:8001", "localhost:8002", "localhost:8003", "localhost:8004"}

// Handler returns the sample API.
func Handler() http.Handler {
	vue := &policy{
		origins:     []string{"http://localhost:8080"},
		methods:     "GET, POST",
		headers:     "Content-Type",
		credentials: true,
		expose:      "X-Total-Count",
		maxAge:      "600",
	}
	noCreds := *vue
	noCreds.credentials = false
	mux := map[string]http.Handler{
		"localhost:8000": vue.wrap(api()),
		"localhost:8001": wildcard(chat()),
		"localhost:8002": api(),
		"localhost:8003": fixedOrigin("http://localhost:3000", api()),
		"localhost:8004": noCreds.wrap(api()),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No Date header: the same traffic must record to the same bytes.
		w.Header()["Date"] = nil
		h, ok := mux[r.Host]
		if !ok {
			http.Error(w, "sampleapi: unknown host "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// policy is an allow-list CORS policy in the style of Starlette's
// CORSMiddleware, except that a preflight for a disallowed method or header
// still answers 200 with the allowed lists (as most hand-written and
// Express-style servers do), so Chrome names the missing method or header.
type policy struct {
	origins     []string
	methods     string
	headers     string
	credentials bool
	expose      string
	maxAge      string
}

func (p *policy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := origin != "" && slices.Contains(p.origins, origin)
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			if p.credentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h.Set("Access-Control-Allow-Methods", p.methods)
				h.Set("Access-Control-Allow-Headers", p.headers)
				h.Set("Access-Control-Max-Age", p.maxAge)
			}
			h.Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "OK")
			return
		}
		if allowed && p.expose != "" {
			h.Set("Access-Control-Expose-Headers", p.expose)
		}
		next.ServeHTTP(w, r)
	})
}

// wildcard answers every request, preflight or not, with ACAO * and
// Access-Control-Allow-Credentials: true — invalid for credentialed requests.
func wildcard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "*")
			h.Set("Access-Control-Allow-Headers", "*")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fixedOrigin always names the same origin, whoever asks.
func fixedOrigin(origin string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/stats", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeJSON(w, http.StatusUnsupportedMediaType, `{"detail":"expected application/json"}`)
			return
		}
		writeJSON(w, http.StatusCreated, `{"ok":true}`)
	})
	mux.HandleFunc("GET /api/v1/items", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Total-Count", "2")
		w.Header().Set("X-Request-Id", "req-0001")
		writeJSON(w, http.StatusOK, `[{"id":1,"name":"first"},{"id":2,"name":"second"}]`)
	})
	mux.HandleFunc("PUT /api/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"id":`+r.PathValue("id")+`,"updated":true}`)
	})
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"ok"}`)
	})
	return mux
}

func chat() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `[{"from":"ada","text":"hello"}]`)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// Checks is the demo's check file: one check per scenario, with the verdict
// Chrome gives against the sample API.
//
//go:embed checks.yaml
var Checks []byte

// Command jubcors serves the stack scenarios with github.com/jub0bs/cors,
// one cors.Config per path prefix. A configuration the library rejects is
// reported on stderr and its prefix is left unrouted (404 without CORS
// headers), as a service whose CORS setup failed to build would be.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/jub0bs/cors"

	"github.com/corsvcr/corsvcr/integration/stacks/gocors/api"
)

const page = "http://localhost:8080"

func correct() cors.Config {
	return cors.Config{
		Origins:         []string{page},
		Credentialed:    true,
		Methods:         []string{"GET", "POST", "PUT"},
		RequestHeaders:  []string{"Content-Type", "X-Client-Version"},
		ResponseHeaders: []string{"X-Total-Count"},
	}
}

func with(edit func(*cors.Config)) cors.Config {
	c := correct()
	edit(&c)
	return c
}

func main() {
	routes := []struct {
		prefix string
		cfg    cors.Config
	}{
		{"correct", correct()},
		{"wildcard-credentials", with(func(c *cors.Config) { c.Origins = []string{"*"} })},
		{"origin-not-allowed", with(func(c *cors.Config) { c.Origins = []string{"http://localhost:3000"} })},
		{"method-not-allowed", with(func(c *cors.Config) { c.Methods = []string{"GET", "POST"} })},
		{"header-not-allowed", with(func(c *cors.Config) { c.RequestHeaders = []string{"Content-Type"} })},
		{"no-expose", with(func(c *cors.Config) { c.ResponseHeaders = nil })},
		{"no-credentials", with(func(c *cors.Config) { c.Credentialed = false })},
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		mw, err := cors.NewMiddleware(r.cfg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "jubcors: config %q rejected: %v\n", r.prefix, err)
			continue
		}
		mux.Handle("/"+r.prefix+"/", mw.Wrap(api.Items()))
	}
	// The common mistake: the middleware wraps method-specific routes, so
	// the OPTIONS preflight never reaches it (ServeMux answers 405).
	mw, err := cors.NewMiddleware(correct())
	if err != nil {
		fmt.Fprintln(os.Stderr, "jubcors:", err)
		os.Exit(1)
	}
	mux.Handle("GET /no-preflight/", mw.Wrap(api.Items()))
	mux.Handle("PUT /no-preflight/", mw.Wrap(api.Items()))
	if err := api.Serve(mux); err != nil {
		fmt.Fprintln(os.Stderr, "jubcors:", err)
		os.Exit(1)
	}
}

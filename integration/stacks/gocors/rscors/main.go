// Command rscors serves the stack scenarios with github.com/rs/cors, one
// cors.Options per path prefix.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/rs/cors"

	"github.com/corsvcr/corsvcr/integration/stacks/gocors/api"
)

const page = "http://localhost:8080"

func main() {
	correct := cors.Options{
		AllowedOrigins:   []string{page},
		AllowedMethods:   []string{"GET", "POST", "PUT"},
		AllowedHeaders:   []string{"Content-Type", "X-Client-Version"},
		ExposedHeaders:   []string{"X-Total-Count"},
		AllowCredentials: true,
	}
	with := func(edit func(*cors.Options)) cors.Options {
		o := correct
		edit(&o)
		return o
	}
	routes := map[string]cors.Options{
		"correct":              correct,
		"wildcard-credentials": with(func(o *cors.Options) { o.AllowedOrigins = []string{"*"} }),
		"origin-not-allowed":   with(func(o *cors.Options) { o.AllowedOrigins = []string{"http://localhost:3000"} }),
		"method-not-allowed":   with(func(o *cors.Options) { o.AllowedMethods = []string{"GET", "POST"} }),
		"header-not-allowed":   with(func(o *cors.Options) { o.AllowedHeaders = []string{"Content-Type"} }),
		"no-expose":            with(func(o *cors.Options) { o.ExposedHeaders = nil }),
		"no-credentials":       with(func(o *cors.Options) { o.AllowCredentials = false }),
	}
	mux := http.NewServeMux()
	for prefix, o := range routes {
		mux.Handle("/"+prefix+"/", cors.New(o).Handler(api.Items()))
	}
	// The common mistake: the middleware wraps method-specific routes, so
	// the OPTIONS preflight never reaches it (ServeMux answers 405).
	c := cors.New(correct)
	mux.Handle("GET /no-preflight/", c.Handler(api.Items()))
	mux.Handle("PUT /no-preflight/", c.Handler(api.Items()))
	if err := api.Serve(mux); err != nil {
		fmt.Fprintln(os.Stderr, "rscors:", err)
		os.Exit(1)
	}
}

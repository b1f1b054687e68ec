// Command nocors serves the stack API with no CORS layer at all: the
// backend the Vite stack's dev-server proxy forwards /api to, which its
// checks also call directly.
package main

import (
	"fmt"
	"os"

	"github.com/corsvcr/corsvcr/integration/stacks/gocors/api"
)

func main() {
	if err := api.Serve(api.Items()); err != nil {
		fmt.Fprintln(os.Stderr, "nocors:", err)
		os.Exit(1)
	}
}

package browsercheck

import (
	"encoding/json"
	"fmt"
	"os"
)

func init() {
	if os.Getenv("CORSVCR_DEBUG_EVENTS") != "" {
		debugEvent = func(ev any) {
			b, _ := json.Marshal(ev)
			fmt.Fprintf(os.Stderr, "EV %T %s\n", ev, b)
		}
	}
}

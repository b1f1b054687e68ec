package browserchecktest

import (
	"context"
	"net/http"
)

type upstreamKey struct{}

func contextWithUpstream(r *http.Request, upstream string) context.Context {
	return context.WithValue(r.Context(), upstreamKey{}, upstream)
}

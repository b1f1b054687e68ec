package recorder

import (
	"net/http"
)

// keepNoBodyLength stops net/http's Response.Write, which martian uses to
// answer the client, from adding "Content-Length: 0" to a response that
// cannot have a body (1xx, 204, 304) when the request was a POST, PUT or
// PATCH and the origin sent no Content-Length: the browser would see a
// header the origin never sent, and the replay does not add it. Response.Write
// decides from res.Request.Method, so the response gets a copy of its
// request whose method is GET; the request itself is left alone.
func keepNoBodyLength(res *http.Response) {
	if bodyAllowedForStatus(res.StatusCode) || res.Request == nil || res.ContentLength != 0 {
		return
	}
	switch res.Request.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return
	}
	if _, sent := res.Header["Content-Length"]; sent {
		return
	}
	req := *res.Request
	req.Method = http.MethodGet
	res.Request = &req
}

// bodyAllowedForStatus reports whether a response with this status may
// have a body (RFC 9110 sections 6.4.1, 15.3.5, 15.4.5).
func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == http.StatusNoContent, status == http.StatusNotModified:
		return false
	}
	return true
}

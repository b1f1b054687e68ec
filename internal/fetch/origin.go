package fetch

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultPort returns the default port of a special scheme of the URL
// standard (§4.1 "special scheme"): "80" for http and ws, "443" for https
// and wss, "21" for ftp; "" for any other scheme. scheme is compared ASCII
// case-insensitively.
func DefaultPort(scheme string) string {
	switch {
	case equalFold(scheme, "http"), equalFold(scheme, "ws"):
		return "80"
	case equalFold(scheme, "https"), equalFold(scheme, "wss"):
		return "443"
	case equalFold(scheme, "ftp"):
		return "21"
	}
	return ""
}

// SerializeHost returns the host[:port] of a URL of the given lower-case
// scheme as Chrome serialises it in an origin or a URL: lower-cased, without
// the scheme's default port (URL standard §4.4, the port state sets a
// special scheme's default port to null) and without an empty port
// ("host:"). It allocates only when host has an upper-case letter.
func SerializeHost(scheme, host string) string {
	host = ByteLowercase(host)
	if def := DefaultPort(scheme); def != "" && len(host) > len(def) &&
		host[len(host)-len(def)-1] == ':' && host[len(host)-len(def):] == def {
		return host[:len(host)-len(def)-1]
	}
	return strings.TrimSuffix(host, ":")
}

// SerializeOrigin returns the ASCII serialisation of u's origin (HTML
// "ASCII serialization of an origin"; url::Origin::Serialize):
// scheme://host[:port], scheme and host lower-cased, the default port left
// out, no path. u must have a host.
func SerializeOrigin(u *url.URL) string {
	scheme := ByteLowercase(u.Scheme)
	return scheme + "://" + SerializeHost(scheme, u.Host)
}

// OriginProblem returns why s is not an http or https origin as Chrome
// serialises it (the Origin request header, a check's page origin, an
// origin mapping): scheme://host[:port] with a lower-case scheme and host,
// no default port, no trailing slash, path, query, fragment or user info.
// It returns "" when s is one. The reason quotes s and, when s names an
// origin in another spelling ("HTTP://Localhost:80"), gives the serialised
// form to write instead ("http://localhost").
func OriginProblem(s string) string {
	if s == "" {
		return "missing"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not an origin: %v", s, err)
	case !equalFold(u.Scheme, "http") && !equalFold(u.Scheme, "https"):
		return fmt.Sprintf("%q is not an http or https origin (scheme://host[:port])", s)
	case u.Host == "" || u.Opaque != "" || u.User != nil:
		return fmt.Sprintf("%q is not an origin (scheme://host[:port])", s)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Sprintf("%q is not an origin: it has a path, query or fragment (write %q)", s, SerializeOrigin(u))
	case s != strings.ToLower(s):
		return fmt.Sprintf("%q is not an origin as browsers send it: scheme and host are lower-case (write %q)", s, SerializeOrigin(u))
	case s != SerializeOrigin(u):
		return fmt.Sprintf("%q is not an origin as browsers send it: leave out the default port (write %q)", s, SerializeOrigin(u))
	}
	return ""
}

// SameOrigin reports whether a and b have the same origin (HTML "same
// origin": scheme, host and port, the default port written or not).
func SameOrigin(a, b *url.URL) bool {
	return a.Host != "" && b.Host != "" && SerializeOrigin(a) == SerializeOrigin(b)
}

// EncodeQuery percent-encodes a URL's raw query the way the URL parser
// does for a special scheme (http, https: URL standard §4.4 "query state",
// the special-query percent-encode set): C0 controls, space, '"', '#',
// '<', '>', the apostrophe and every byte above 0x7E become %XX; existing escapes
// are kept. Go's net/url keeps such bytes raw, Chrome sends them encoded.
// It allocates only when something is encoded.
func EncodeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > 0x20 && c < 0x7F && c != '"' && c != '#' && c != '<' && c != '>' && c != '\'' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(q)+8), q[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return q
	}
	return string(b)
}

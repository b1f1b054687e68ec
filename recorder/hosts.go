package recorder

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

var (
	errEmpty    = errors.New("empty")
	errNotAuth  = errors.New("not a host or host:port (no scheme, path or spaces)")
	errBadPort  = errors.New("port is not a number between 1 and 65535")
	errNeedPort = errors.New("missing port")
)

// splitAuthority splits "host:port" or "host" (port "") and lower-cases the
// host, dropping IPv6 brackets and a trailing dot.
func splitAuthority(a string) (host, port string, err error) {
	if a == "" {
		return "", "", errEmpty
	}
	if strings.ContainsAny(a, "/?#@ \t") {
		return "", "", errNotAuth
	}
	host, port, err = net.SplitHostPort(a)
	if err != nil {
		// No port (or a bare IPv6 address in brackets).
		host, port = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"), ""
		if strings.Contains(host, "[") || strings.Contains(host, "]") {
			return "", "", errNotAuth
		}
	} else if n, perr := strconv.Atoi(port); perr != nil || n < 1 || n > 65535 {
		return "", "", errBadPort
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return "", "", errNotAuth
	}
	return host, port, nil
}

// defaultPort returns the default port of a URL scheme (fetch.DefaultPort);
// "80" for a scheme without one.
func defaultPort(scheme string) string {
	if p := fetch.DefaultPort(scheme); p != "" {
		return p
	}
	return "80"
}

// normAuthority returns the authority a request for scheme names, with the
// default port written out: ("http", "Example.test") → "example.test:80".
func normAuthority(scheme, a string) string {
	if isNormAuthority(a) {
		return a // the usual case, without allocating
	}
	host, port, err := splitAuthority(a)
	if err != nil {
		return a
	}
	if port == "" {
		port = defaultPort(scheme)
	}
	return net.JoinHostPort(host, port)
}

// isNormAuthority reports whether normAuthority would return a unchanged
// because it already is "host:port" with a lower-case ASCII host (no IPv6
// brackets, no trailing dot) and a valid port.
func isNormAuthority(a string) bool {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || port == "" || strings.ContainsAny(a, "/?#@ \t[]") || strings.HasSuffix(host, ".") {
		return false
	}
	for i := 0; i < len(host); i++ {
		if 'A' <= host[i] && host[i] <= 'Z' || host[i] >= 0x80 { // ToLower would change it
			return false
		}
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535 && port[0] != '+' && port[0] != '-'
}

// configAuthorities normalises an authority from Config. Without a port it
// stands for both default ports, host:80 and host:443.
func configAuthorities(a string) ([]string, error) {
	host, port, err := splitAuthority(a)
	if err != nil {
		return nil, err
	}
	if port == "" {
		return []string{net.JoinHostPort(host, fetch.DefaultPort("http")), net.JoinHostPort(host, fetch.DefaultPort("https"))}, nil
	}
	return []string{net.JoinHostPort(host, port)}, nil
}

// dialAddress checks an Upstreams target: host:port, port required.
func dialAddress(a string) (string, error) {
	host, port, err := splitAuthority(a)
	if err != nil {
		return "", err
	}
	if port == "" {
		return "", errNeedPort
	}
	return net.JoinHostPort(host, port), nil
}

// resolvedConfig is Config after validation.
type resolvedConfig struct {
	addr      string
	hosts     map[string]bool // nil: record every host
	upstreams map[string]string
}

// resolve validates cfg and reports every problem at once.
func resolve(cfg Config) (resolvedConfig, error) {
	var errs []error
	rc := resolvedConfig{addr: cfg.Addr, upstreams: map[string]string{}}
	if rc.addr == "" {
		rc.addr = "127.0.0.1:0"
	}
	if host, _, err := net.SplitHostPort(rc.addr); err != nil {
		errs = append(errs, fmt.Errorf("recorder: addr %q: %w", cfg.Addr, err))
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		errs = append(errs, fmt.Errorf("recorder: addr %q: not a loopback address", cfg.Addr))
	}
	if cfg.UpstreamTimeout < 0 {
		errs = append(errs, fmt.Errorf("recorder: upstream timeout %v: negative", cfg.UpstreamTimeout))
	}
	if cfg.CloseTimeout < 0 {
		errs = append(errs, fmt.Errorf("recorder: close timeout %v: negative", cfg.CloseTimeout))
	}
	if len(cfg.Hosts) > 0 {
		rc.hosts = map[string]bool{}
	}
	for _, h := range cfg.Hosts {
		as, err := configAuthorities(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("recorder: host %q: %w", h, err))
			continue
		}
		for _, a := range as {
			rc.hosts[a] = true
		}
	}
	for from, to := range cfg.Upstreams {
		as, err := configAuthorities(from)
		if err != nil {
			errs = append(errs, fmt.Errorf("recorder: upstream %q: %w", from, err))
			continue
		}
		dst, err := dialAddress(to)
		if err != nil {
			errs = append(errs, fmt.Errorf("recorder: upstream %q: address %q: %w", from, to, err))
			continue
		}
		for _, a := range as {
			rc.upstreams[a] = dst
		}
	}
	sortErrors(errs)
	return rc, errors.Join(errs...)
}

// sortErrors orders errors by message so that problems found while ranging
// over a map are reported in a stable order.
func sortErrors(errs []error) {
	slices.SortStableFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
}

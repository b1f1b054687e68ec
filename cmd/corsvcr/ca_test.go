package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpstreamFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantKey string
		wantErr string
	}{
		{name: "host and port", in: "localhost:8000=127.0.0.1:9000", wantKey: "localhost:8000"},
		{name: "host alone (default port of the URL's scheme)", in: "API.example.com=127.0.0.1:9443", wantKey: "api.example.com"},
		{name: "ipv6 with port", in: "[::1]:8443=127.0.0.1:9443", wantKey: "[::1]:8443"},
		{name: "no address", in: "api.example.com", wantErr: "is not HOST[:PORT]=ADDR"},
		{name: "url instead of host", in: "https://api.example.com=127.0.0.1:9443", wantErr: "is not HOST or HOST:PORT"},
		{name: "address without port", in: "api.example.com=127.0.0.1", wantErr: "needs a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := upstreamFlag{}
			err := u.Set(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, u, tt.wantKey)
		})
	}
}

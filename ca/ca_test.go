package ca_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
)

func TestLoadOrCreateCreatesOnceWithPrivateModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "corsvcr")
	c, err := ca.LoadOrCreate(dir)
	require.NoError(t, err)

	for _, f := range []struct {
		name string
		path string
		mode os.FileMode
	}{
		{name: "dir", path: dir, mode: 0o700},
		{name: "key", path: filepath.Join(dir, ca.KeyFileName), mode: 0o600},
		{name: "cert", path: filepath.Join(dir, ca.CertFileName), mode: 0o644},
	} {
		st, err := os.Stat(f.path)
		require.NoError(t, err, f.name)
		assert.Equal(t, f.mode, st.Mode().Perm(), f.name)
	}
	assert.Equal(t, filepath.Join(dir, ca.CertFileName), c.CertFile)
	assert.Equal(t, filepath.Join(dir, ca.KeyFileName), c.KeyFile)
	pemCert, err := os.ReadFile(c.CertFile)
	require.NoError(t, err)
	assert.Equal(t, c.CertPEM(), pemCert)
	assert.NotContains(t, string(pemCert), "PRIVATE KEY")

	again, err := ca.LoadOrCreate(dir)
	require.NoError(t, err)
	assert.Equal(t, c.SPKIPin(), again.SPKIPin(), "the authority is created once and then loaded")
	assert.Equal(t, c.Cert.Raw, again.Cert.Raw)

	// A deleted ca.pem is written again from the key file.
	require.NoError(t, os.Remove(c.CertFile))
	again, err = ca.LoadOrCreate(dir)
	require.NoError(t, err)
	assert.Equal(t, c.SPKIPin(), again.SPKIPin())
	pemCert, err = os.ReadFile(c.CertFile)
	require.NoError(t, err)
	assert.Equal(t, c.CertPEM(), pemCert)
}

func TestLoadOrCreateConcurrentCallersAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pins := make([]string, 8)
	var wg sync.WaitGroup
	for i := range pins {
		wg.Go(func() {
			c, err := ca.LoadOrCreate(dir)
			if assert.NoError(t, err) {
				pins[i] = c.SPKIPin()
			}
		})
	}
	wg.Wait()
	for _, p := range pins {
		assert.Equal(t, pins[0], p)
	}
	left, err := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "temporary files left behind")
}

func TestLoadOrCreateRefusesReadableKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode os.FileMode
		ok   bool
	}{
		{name: "owner only", mode: 0o600, ok: true},
		{name: "owner read only", mode: 0o400, ok: true},
		{name: "group readable", mode: 0o640},
		{name: "world readable", mode: 0o644},
		{name: "group writable", mode: 0o620},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			_, err := ca.LoadOrCreate(dir)
			require.NoError(t, err)
			key := filepath.Join(dir, ca.KeyFileName)
			require.NoError(t, os.Chmod(key, tt.mode))
			_, err = ca.LoadOrCreate(dir)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("ca: key file %q has mode %04o", key, tt.mode))
		})
	}
}

func TestLoadOrCreateRejectsBadKeyFiles(t *testing.T) {
	t.Parallel()
	other, err := ca.New()
	require.NoError(t, err)
	tests := []struct {
		name string
		data string
		want string
	}{
		{name: "empty", data: "", want: "no PRIVATE KEY block"},
		{name: "cert only", data: string(other.CertPEM()), want: "no PRIVATE KEY block"},
		{name: "garbage key", data: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", want: "private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, ca.KeyFileName), []byte(tt.data), 0o600))
			_, err := ca.LoadOrCreate(dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), `ca: key file "`)
		})
	}
}

func TestSPKIPinIsSHA256OfSPKI(t *testing.T) {
	t.Parallel()
	c, err := ca.New()
	require.NoError(t, err)
	sum := sha256.Sum256(c.Cert.RawSubjectPublicKeyInfo)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), c.SPKIPin())
	assert.True(t, c.Cert.IsCA)
}

func TestLeafVerifiesForHostAndIsCached(t *testing.T) {
	t.Parallel()
	c, err := ca.New()
	require.NoError(t, err)
	tests := []struct {
		name   string
		host   string
		verify string // name to verify against
		ip     bool
	}{
		{name: "dns", host: "api.example.com", verify: "api.example.com"},
		{name: "dns with port", host: "app.example.com:443", verify: "app.example.com"},
		{name: "upper case", host: "API.Example.COM", verify: "api.example.com"},
		{name: "ipv4", host: "127.0.0.1:8443", verify: "127.0.0.1", ip: true},
		{name: "ipv6", host: "[::1]:8443", verify: "::1", ip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := c.Leaf(tt.host)
			require.NoError(t, err)
			require.Len(t, l.Certificate, 2, "leaf and CA")
			inter := x509.NewCertPool()
			_, err = l.Leaf.Verify(x509.VerifyOptions{DNSName: tt.verify, Roots: c.Pool(), Intermediates: inter})
			require.NoError(t, err)
			assert.Equal(t, tt.ip, len(l.Leaf.IPAddresses) == 1)
			assert.WithinDuration(t, time.Now().Add(-time.Hour), l.Leaf.NotBefore, time.Minute, "backdated an hour")
			assert.LessOrEqual(t, l.Leaf.NotAfter.Sub(l.Leaf.NotBefore), 48*time.Hour, "short-lived")
			again, err := c.Leaf(tt.host)
			require.NoError(t, err)
			assert.Same(t, l, again, "cached")
		})
	}
	_, err = c.Leaf("")
	assert.Error(t, err)
}

func TestLeafServesTLSTrustedOnlyByItsCA(t *testing.T) {
	t.Parallel()
	c, err := ca.New()
	require.NoError(t, err)
	other, err := ca.New()
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			srv := tls.Server(conn, &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
				return c.Leaf(h.ServerName)
			}})
			_ = srv.Handshake()
			srv.Close()
		}
	}()
	dial := func(roots *x509.CertPool) error {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "api.example.com", RootCAs: roots})
		if err == nil {
			conn.Close()
		}
		return err
	}
	assert.NoError(t, dial(c.Pool()))
	assert.Error(t, dial(other.Pool()))
	ln.Close()
	<-done
}

func TestResolveDir(t *testing.T) {
	def, err := ca.DefaultDir()
	require.NoError(t, err)
	t.Setenv(ca.DirEnv, "")
	got, err := ca.ResolveDir("")
	require.NoError(t, err)
	assert.Equal(t, def, got, "neither flag nor environment: the default")

	t.Setenv(ca.DirEnv, filepath.Join(t.TempDir(), "from-env"))
	got, err = ca.ResolveDir("")
	require.NoError(t, err)
	assert.Equal(t, os.Getenv(ca.DirEnv), got)
	got, err = ca.ResolveDir("flag")
	require.NoError(t, err)
	assert.Equal(t, "flag", got, "the flag wins over the environment")
}

// TestLoadOrCreateRefusesUnsafeDir: a directory that group or others may
// write into, or that another user owns, could have its authority replaced:
// it is refused, naming the directory and the fix.
func TestLoadOrCreateRefusesUnsafeDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    os.FileMode
		wantErr string // "%[1]q" is the directory
	}{
		{name: "owner only", mode: 0o700},
		{name: "readable by others", mode: 0o755},
		{name: "writable by all", mode: 0o777, wantErr: "ca: directory %[1]q has mode 0777: group or others may write into it and replace the authority; run chmod 700 %[1]q"},
		{name: "writable by the group", mode: 0o770, wantErr: "ca: directory %[1]q has mode 0770: group or others may write into it and replace the authority; run chmod 700 %[1]q"},
		{name: "sticky, writable by all", mode: 0o777 | os.ModeSticky, wantErr: "ca: directory %[1]q has mode 0777"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "corsvcr")
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, tt.mode)) // no umask
			_, err := ca.LoadOrCreate(dir)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf(tt.wantErr, dir))
			assert.NoFileExists(t, filepath.Join(dir, ca.KeyFileName), "no authority created")
		})
	}
	t.Run("owned by another user", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() != 0 {
			t.Skip("only root can give a directory away")
		}
		dir := filepath.Join(t.TempDir(), "corsvcr")
		require.NoError(t, os.Mkdir(dir, 0o700))
		_, err := ca.LoadOrCreate(dir)
		require.NoError(t, err)
		require.NoError(t, os.Chown(dir, 65534, 65534))
		_, err = ca.LoadOrCreate(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), fmt.Sprintf("ca: directory %q is owned by uid 65534, not by you (uid 0)", dir))
	})
}

// TestCAFilesNotRegular: a key file or a roots file that is a FIFO or a
// directory is refused at once, not waited on.
func TestCAFilesNotRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "roots.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	keyDir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(keyDir, ca.KeyFileName), 0o600))

	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := ca.SystemRootsWith(fifo)
		assert.EqualError(t, err, fmt.Sprintf("ca: roots %q: not a regular file: it is a named pipe (FIFO)", fifo))
		_, err = ca.SystemRootsWith(dir)
		assert.EqualError(t, err, fmt.Sprintf("ca: roots %q: not a regular file: it is a directory", dir))
		_, err = ca.LoadOrCreate(keyDir)
		assert.EqualError(t, err, fmt.Sprintf("ca: key file %q: not a regular file: it is a named pipe (FIFO)", filepath.Join(keyDir, ca.KeyFileName)))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("blocked on a FIFO")
	}
}

// Package ca is corsvcr's certificate authority for HTTPS recording and
// replay.
//
// The recording and replay proxies terminate the browser's TLS with leaf
// certificates signed by this authority, so that every HTTPS exchange can be
// recorded and replayed at its real origin (secure context included). Chrome
// trusts exactly this authority when started with
// --ignore-certificate-errors-spki-list=<SPKIPin>; nothing else is trusted
// and no certificate error is ignored otherwise.
//
// LoadOrCreate keeps one authority per user in a directory (by default
// $XDG_CONFIG_HOME/corsvcr, see DefaultDir): the private key and certificate
// in KeyFileName (mode 0600, never readable by others, never written into a
// cassette), and the certificate alone in CertFileName, to import into a
// browser by hand. New makes a throw-away authority in memory for tests.
//
// The directory must belong to the user and be writable by nobody else
// (mode 0700 when LoadOrCreate creates it): whoever can write into it can
// replace the authority that the browser is told to trust.
//
// The package uses the standard library and corsvcr's internal file
// helpers only.
package ca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/inputfile"
	"github.com/corsvcr/corsvcr/internal/procs"
)

// File names inside the authority's directory.
const (
	// KeyFileName holds the PEM private key followed by the PEM certificate;
	// its mode is 0600.
	KeyFileName = "ca-key.pem"
	// CertFileName holds the PEM certificate only, to import into a browser.
	CertFileName = "ca.pem"
)

// Validity periods.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 24 * time.Hour
	backdate     = time.Hour // clock skew allowance of every certificate
)

// CA is a certificate authority that mints TLS leaf certificates. It is safe
// for concurrent use.
type CA struct {
	// Cert is the authority's self-signed certificate.
	Cert *x509.Certificate
	// Key is the authority's private key (ECDSA P-256).
	Key crypto.Signer
	// CertFile is the path of the PEM certificate (CertFileName) of an
	// authority from LoadOrCreate; "" for one from New.
	CertFile string
	// KeyFile is the path of the private key (KeyFileName) of an authority
	// from LoadOrCreate; "" for one from New.
	KeyFile string

	leafKey *ecdsa.PrivateKey // shared by every leaf of this process

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// DirEnv is the environment variable that names the authority's directory
// in place of DefaultDir (see ResolveDir).
const DirEnv = "CORSVCR_CA_DIR"

// ResolveDir returns the authority's directory: dir when it is not "",
// else $CORSVCR_CA_DIR when set, else DefaultDir.
func ResolveDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	return DefaultDir()
}

// SystemRootsWith returns the system roots plus the certificates of the
// PEM file at path: the roots that verify an https origin served with a
// private CA.
func SystemRootsWith(path string) (*x509.CertPool, error) {
	data, err := inputfile.Read(path, inputfile.PEM)
	if err != nil {
		return nil, fmt.Errorf("ca: roots %q: %w", path, err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("ca: roots %q: no PEM certificate found", path)
	}
	return roots, nil
}

// DefaultDir is the directory LoadOrCreate uses for "":
// filepath.Join(os.UserConfigDir(), "corsvcr").
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("ca: no user config directory: %w", err)
	}
	return filepath.Join(d, "corsvcr"), nil
}

// New returns a fresh authority held in memory only.
func New() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generate key: %w", err)
	}
	cert, err := selfSign(key)
	if err != nil {
		return nil, err
	}
	return newCA(cert, key)
}

func newCA(cert *x509.Certificate, key crypto.Signer) (*CA, error) {
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generate leaf key: %w", err)
	}
	return &CA{Cert: cert, Key: key, leafKey: leafKey, leaves: map[string]*tls.Certificate{}}, nil
}

// LoadOrCreate loads the authority kept in dir ("" means DefaultDir), or
// creates it there when dir holds none: dir with mode 0700, KeyFileName with
// mode 0600, CertFileName with mode 0644. It refuses a directory that group
// or others may write into or that another user owns, and a key file that
// group or others may read or write, naming the file and its mode.
// Concurrent callers (several processes included) end up with the same
// authority.
func LoadOrCreate(dir string) (*CA, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, KeyFileName)
	c, err := load(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		c, err = create(keyPath)
	}
	if err != nil {
		return nil, err
	}
	c.KeyFile = keyPath
	c.CertFile = filepath.Join(dir, CertFileName)
	if err := c.writeCertFile(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkDir refuses an authority directory that another user owns or that
// group or others may write into: they could replace the key file, or
// ca.pem that the user imports into a browser.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("ca: %q is not a directory", dir)
	}
	if uid, ok := procs.Owner(st); ok && uid != os.Geteuid() {
		return fmt.Errorf("ca: directory %q is owned by uid %d, not by you (uid %d): its owner could replace the authority; use a directory of your own (--ca-dir or %s), or chown it to yourself", dir, uid, os.Geteuid(), DirEnv)
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("ca: directory %q has mode %04o: group or others may write into it and replace the authority; run chmod 700 %q", dir, perm, dir)
	}
	return nil
}

// load reads the key file at path. A missing file is fs.ErrNotExist.
func load(path string) (*CA, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("ca: %w", err)
	}
	if st.Mode().IsRegular() {
		if perm := st.Mode().Perm(); perm&0o077 != 0 {
			return nil, fmt.Errorf("ca: key file %q has mode %04o: group or others may access the private key; run chmod 600 %q or remove the file to create a new authority", path, perm, path)
		}
	}
	data, err := inputfile.Read(path, inputfile.PEM)
	if err != nil {
		return nil, fmt.Errorf("ca: key file %q: %w", path, err)
	}
	return parse(path, data)
}

// parse decodes a key file: a PRIVATE KEY block and a CERTIFICATE block.
func parse(path string, data []byte) (*CA, error) {
	var key crypto.Signer
	var cert *x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("ca: key file %q: private key: %w", path, err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("ca: key file %q: private key of type %T cannot sign", path, k)
			}
			key = s
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("ca: key file %q: certificate: %w", path, err)
			}
			cert = c
		}
	}
	switch {
	case key == nil:
		return nil, fmt.Errorf("ca: key file %q: no PRIVATE KEY block", path)
	case cert == nil:
		return nil, fmt.Errorf("ca: key file %q: no CERTIFICATE block", path)
	case !cert.IsCA:
		return nil, fmt.Errorf("ca: key file %q: certificate is not a CA certificate", path)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("ca: key file %q: certificate does not match the private key", path)
	}
	return newCA(cert, key)
}

// create makes a new authority and links its key file into place. If
// another process created one first, that one is loaded instead.
func create(path string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generate key: %w", err)
	}
	cert, err := selfSign(key)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ca: encode key: %w", err)
	}
	var data bytes.Buffer
	_ = pem.Encode(&data, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	_ = pem.Encode(&data, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	tmp, err := writeTemp(filepath.Dir(path), data.Bytes(), 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	// Link, unlike rename, fails when the key file exists: the first
	// creator wins and nobody overwrites a key a browser may already trust.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return load(path)
		}
		return nil, fmt.Errorf("ca: create key file: %w", err)
	}
	return newCA(cert, key)
}

// writeCertFile writes CertFile unless it already holds the certificate.
func (c *CA) writeCertFile() error {
	want := c.CertPEM()
	if got, err := inputfile.Read(c.CertFile, inputfile.PEM); err == nil && bytes.Equal(got, want) {
		return nil
	}
	if err := atomicfile.WriteFile(c.CertFile, want, atomicfile.Options{}); err != nil {
		return fmt.Errorf("ca: write certificate: %w", err)
	}
	return nil
}

// writeTemp writes data to a new file in dir with mode perm, synced, and
// returns its name.
func writeTemp(dir string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-ca-*")
	if err != nil {
		return "", fmt.Errorf("ca: %w", err)
	}
	name := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("ca: write %q: %w", name, err)
	}
	return name, nil
}

// selfSign makes the authority's certificate for key.
func selfSign(key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("ca: encode public key: %w", err)
	}
	skid := sha256.Sum256(spki)
	host, _ := os.Hostname()
	name := "corsvcr local CA"
	if host != "" {
		name += " (" + host + ")"
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"corsvcr"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid[:20],
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("ca: self-sign: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: self-sign: %w", err)
	}
	return cert, nil
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("ca: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// SPKIPin returns the base64 SHA-256 of the certificate's
// SubjectPublicKeyInfo: the value Chrome's
// --ignore-certificate-errors-spki-list takes.
func (c *CA) SPKIPin() string {
	sum := sha256.Sum256(c.Cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// CertPEM returns the certificate in PEM form.
func (c *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

// Pool returns a new certificate pool holding the authority's certificate:
// what a Go client needs to trust the proxies' certificates.
func (c *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Cert)
	return p
}

// Leaf returns a certificate for host (a DNS name or an IP address, with or
// without a port), signed by the authority, with the authority's
// certificate as its chain. Leaves are valid for a day from an hour ago and
// are cached; a leaf close to expiry is replaced.
func (c *CA) Leaf(host string) (*tls.Certificate, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return nil, errors.New("ca: leaf: empty host")
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.leaves[host]; l != nil && now.Before(l.Leaf.NotAfter.Add(-backdate)) {
		return l, nil
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"corsvcr"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(leafValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, c.leafKey.Public(), c.Key)
	if err != nil {
		return nil, fmt.Errorf("ca: leaf for %q: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: leaf for %q: %w", host, err)
	}
	l := &tls.Certificate{Certificate: [][]byte{der, c.Cert.Raw}, PrivateKey: c.leafKey, Leaf: leaf}
	c.leaves[host] = l
	return l, nil
}

package xdsproof

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"os"
	"sync"
)

// JwksServer answers istiod's JWKS fetches. istiod fetches a RequestAuthentication's jwksUri itself
// and inlines the keys into the proxies' config; here its HTTP client reaches this loopback server
// as its HTTP proxy, so nothing leaves the machine and the URL istiod asked for is recorded.
type JwksServer struct {
	mu      sync.Mutex
	fetched map[string]bool
	body    []byte
	srv     *http.Server
}

// JwksKid is the key id of the key this server hands out.
const JwksKid = "shopmesh-xds-proof"

// StartJwksServer listens on 127.0.0.1 and points HTTP_PROXY at itself; call it before any HTTP use
// (Go reads the proxy environment once).
func StartJwksServer() (*JwksServer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding.EncodeToString
	body, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": JwksKid,
		"n": enc(key.N.Bytes()), "e": enc(big.NewInt(int64(key.E)).Bytes()),
	}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	j := &JwksServer{fetched: map[string]bool{}, body: body}
	j.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.mu.Lock()
		j.fetched[r.URL.String()] = true
		j.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(j.body)
	})}
	go func() { _ = j.srv.Serve(ln) }()
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "http_proxy", "no_proxy"} {
		_ = os.Unsetenv(k)
	}
	_ = os.Setenv("HTTP_PROXY", "http://"+ln.Addr().String())
	_ = os.Setenv("NO_PROXY", "localhost")
	return j, nil
}

func (j *JwksServer) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fetched = map[string]bool{}
}

func (j *JwksServer) Fetched() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]string, 0, len(j.fetched))
	for u := range j.fetched {
		out = append(out, u)
	}
	return out
}

func (j *JwksServer) Close() { _ = j.srv.Close() }

// Verifies a Latchkey access token as an API (resource server) does, RFC 9068 §4: the signature against the
// issuer's JWKS, typ at+jwt, iss, aud and exp. Reads the token on stdin and prints its claims as one JSON line.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// The signingAlgorithm of the ResourceServers whose tokens this API accepts.
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

type AccessToken struct {
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	OrgID    string `json:"org_id,omitempty"`
	// The API's identifier: the verifier has checked it is this API's.
	Audience []string `json:"-"`
}

// NewVerifier is made once, at start-up: its key set caches the JWKS and fetches it again when a token names a
// kid it does not know (Latchkey publishes a new key a day before it signs with it).
func NewVerifier(ctx context.Context, issuer, audience string) *oidc.IDTokenVerifier {
	keys := oidc.NewRemoteKeySet(ctx, issuer+"/.well-known/jwks.json")
	algs := make([]string, len(algorithms))
	for i, a := range algorithms {
		algs[i] = string(a)
	}
	return oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: audience, SupportedSigningAlgs: algs})
}

// Verify checks one token; the verifier checks the signature, iss, aud (its ClientID) and exp.
func Verify(ctx context.Context, verifier *oidc.IDTokenVerifier, raw string) (*AccessToken, error) {
	// RFC 9068 §4: typ at+jwt, so that no other JWT of the issuer passes for an access token. go-oidc does not
	// look at typ.
	jws, err := jose.ParseSigned(raw, algorithms)
	if err != nil {
		return nil, err
	}
	if typ, _ := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		return nil, fmt.Errorf("typ is %q, not at+jwt", typ)
	}
	token, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims AccessToken
	if err := token.Claims(&claims); err != nil {
		return nil, err
	}
	claims.Audience = token.Audience
	return &claims, nil
}

func main() {
	ctx := context.Background()
	verifier := NewVerifier(ctx, os.Getenv("LATCHKEY_ISSUER"), os.Getenv("LATCHKEY_AUDIENCE"))
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "token rejected:", err)
		os.Exit(1)
	}
	claims, err := Verify(ctx, verifier, strings.TrimSpace(string(raw)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "token rejected:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]string{
		"sub": claims.Subject, "client_id": claims.ClientID, "scope": claims.Scope, "aud": claims.Audience[0],
	})
	fmt.Println(string(out))
}

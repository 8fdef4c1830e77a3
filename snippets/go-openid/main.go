// Uses Latchkey as a Go relying party does with go-oidc (issue 12): oidc.NewProvider reads the OpenID discovery
// document (and refuses one whose issuer is not the URL it was given), and the provider's default ID token
// verifier, with nothing configured but the client id, checks each ID token: the signature against the JWKS
// with the algorithms discovery lists, iss, aud and exp. Not a guide's snippet: test/snippets/openid-go.test.ts
// runs it.
//
// Environment: LATCHKEY_ISSUER, LATCHKEY_CLIENT_ID, and LATCHKEY_ID_TOKEN_ALGS (comma-separated) only to set the
// verifier's SupportedSigningAlgs instead of taking discovery's id_token_signing_alg_values_supported. Prints the discovered provider as one JSON line, then reads
// one JSON object per line on stdin, {"id_token": "...", "access_token": "..."} (access_token optional), and
// prints one JSON line per object: what the verifier accepted, or why it refused.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

type discovered struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	JwksURI               string   `json:"jwks_uri"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
}

type input struct {
	IDToken     string `json:"id_token"`
	AccessToken string `json:"access_token"`
}

type result struct {
	Verified bool   `json:"verified"`
	Error    string `json:"error,omitempty"`
	// From the token's header: which key signed it.
	Alg    string         `json:"alg,omitempty"`
	Kid    string         `json:"kid,omitempty"`
	Claims map[string]any `json:"claims,omitempty"`
	// "verified" when at_hash matched the access token (IDToken.VerifyAccessToken), else the error.
	AccessToken string `json:"access_token,omitempty"`
}

func describe(p *oidc.Provider) (discovered, error) {
	var d discovered
	if err := p.Claims(&d); err != nil {
		return d, err
	}
	// What the provider itself kept, so a test sees what go-oidc read, not only the raw document.
	d.AuthorizationEndpoint = p.Endpoint().AuthURL
	d.TokenEndpoint = p.Endpoint().TokenURL
	d.UserinfoEndpoint = p.UserInfoEndpoint()
	return d, nil
}

func header(raw string) (alg, kid string) {
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	part, _, _ := strings.Cut(raw, ".")
	if b, err := base64.RawURLEncoding.DecodeString(part); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h.Alg, h.Kid
}

func check(ctx context.Context, verifier *oidc.IDTokenVerifier, in input) result {
	alg, kid := header(in.IDToken)
	token, err := verifier.Verify(ctx, in.IDToken)
	if err != nil {
		return result{Error: err.Error(), Alg: alg, Kid: kid}
	}
	r := result{Verified: true, Alg: alg, Kid: kid}
	if err := token.Claims(&r.Claims); err != nil {
		return result{Error: err.Error(), Alg: alg, Kid: kid}
	}
	if in.AccessToken != "" {
		if err := token.VerifyAccessToken(in.AccessToken); err != nil {
			r.AccessToken = err.Error()
		} else {
			r.AccessToken = "verified"
		}
	}
	return r
}

func main() {
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, os.Getenv("LATCHKEY_ISSUER"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "discovery failed:", err)
		os.Exit(1)
	}
	d, err := describe(provider)
	if err != nil {
		fmt.Fprintln(os.Stderr, "discovery failed:", err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	_ = out.Encode(d)
	config := &oidc.Config{ClientID: os.Getenv("LATCHKEY_CLIENT_ID")}
	if algs := os.Getenv("LATCHKEY_ID_TOKEN_ALGS"); algs != "" {
		config.SupportedSigningAlgs = strings.Split(algs, ",")
	}
	verifier := provider.Verifier(config)
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 64*1024), 1024*1024)
	for lines.Scan() {
		var in input
		if err := json.Unmarshal(lines.Bytes(), &in); err != nil {
			fmt.Fprintln(os.Stderr, "bad input line:", err)
			os.Exit(2)
		}
		_ = out.Encode(check(ctx, verifier, in))
	}
}

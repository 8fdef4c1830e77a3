// Command get-token gets an access token from Latchkey with the client credentials of a mounted Secret.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func main() {
	dir := os.Getenv("LATCHKEY_SECRET_DIR")
	if dir == "" {
		dir = "/var/run/secrets/latchkey"
	}
	// Read the files each time: kubelet updates them when the Secret is rotated.
	read := func(key string) string {
		b, err := os.ReadFile(filepath.Join(dir, key))
		if err != nil {
			log.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}

	cfg := clientcredentials.Config{
		ClientID:     read("client_id"),
		ClientSecret: read("client_secret"),
		TokenURL:     read("token_endpoint"),
		AuthStyle:    oauth2.AuthStyleInHeader, // client_secret_basic
	}
	if audience := os.Getenv("LATCHKEY_AUDIENCE"); audience != "" {
		cfg.EndpointParams = url.Values{"audience": {audience}}
	}
	token, err := cfg.Token(context.Background())
	if err != nil {
		log.Fatal(err) // for an error answer: oauth2: "invalid_client" "client authentication failed"
	}

	// Only to show which API the token is for: resource servers verify it against the JWKS.
	var claims struct {
		Aud any `json:"aud"`
	}
	if parts := strings.Split(token.AccessToken, "."); len(parts) == 3 {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(payload, &claims)
	}
	out, _ := json.Marshal(map[string]any{
		"token_type": token.TokenType,
		"expires_in": token.Extra("expires_in"), // the response's fields, as the server sent them
		"scope":      token.Extra("scope"),
		"aud":        claims.Aud,
	})
	fmt.Println(string(out))
}

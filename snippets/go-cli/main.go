// A command-line tool people sign in to through Latchkey, as a native app (RFC 8252): the browser comes back to
// a listener on 127.0.0.1, and the tool is a public client (no secret) whose code is protected by PKCE. The Go
// twin of snippets/node/people-cli.mjs, with golang.org/x/oauth2 and github.com/coreos/go-oidc/v3.
//
//	login  signs in, prints an access token and keeps the refresh token
//	token  prints a fresh access token from the kept refresh token
//	logout revokes the refresh token (and with it every token of its family) and forgets it
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

var (
	issuer   = env("LATCHKEY_ISSUER", "http://127.0.0.1:8080")
	clientID = env("LATCHKEY_CLIENT_ID", "notes-cli.notes")
	// How long `login` waits for the browser to come back.
	timeout = env("NOTES_LOGIN_TIMEOUT", "300")
)

func tokenFile() string {
	if f := os.Getenv("NOTES_TOKEN_FILE"); f != "" {
		return f
	}
	dir, err := os.UserConfigDir() // $XDG_CONFIG_HOME or ~/.config on Linux
	if err != nil {
		fail("no folder to keep the refresh token in: set NOTES_TOKEN_FILE")
	}
	return filepath.Join(dir, "notes-cli", "refresh-token")
}

// The refresh token is a credential: readable by its owner only. Each use rotates it, so keep the new one.
func keep(token *oauth2.Token) {
	if token.RefreshToken == "" {
		return
	}
	file := tokenFile()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		fail("cannot keep the refresh token: %v", err)
	}
	if err := os.WriteFile(file, []byte(token.RefreshToken), 0o600); err != nil {
		fail("cannot keep the refresh token: %v", err)
	}
}

// An error answer from Latchkey has an error code and a description.
func explain(err error) string {
	var answer *oauth2.RetrieveError
	if errors.As(err, &answer) && answer.ErrorCode != "" {
		return answer.ErrorCode + ": " + answer.ErrorDescription
	}
	return err.Error()
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func login(ctx context.Context, provider *oidc.Provider, config *oauth2.Config) {
	seconds, err := strconv.ParseFloat(timeout, 64)
	if err != nil || seconds <= 0 {
		fail("NOTES_LOGIN_TIMEOUT is not a number of seconds: %q", timeout)
	}
	// Port 0: any free port. The client registers http://127.0.0.1/callback; a loopback redirect URI of a native
	// client matches on any port (RFC 8252 §7.3). An IP literal, not localhost (§8.3).
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("cannot listen on 127.0.0.1: %v", err)
	}
	config.RedirectURL = fmt.Sprintf("http://127.0.0.1:%d/callback", listener.Addr().(*net.TCPAddr).Port)
	verifier := oauth2.GenerateVerifier()
	state := random()
	address := config.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	fmt.Fprintf(os.Stderr, "Open this address in a browser to sign in:\n\n  %s\n\n", address)
	if info, err := os.Stderr.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
		opener := map[string]string{"darwin": "open", "windows": "explorer"}[runtime.GOOS]
		if opener == "" {
			opener = "xdg-open"
		}
		_ = exec.Command(opener, address).Start()
	}

	type outcome struct {
		token *oauth2.Token
		err   error
	}
	done := make(chan outcome, 1)
	verify := provider.Verifier(&oidc.Config{ClientID: clientID})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		token, err := exchange(r, config, verify, state, verifier)
		w.Header().Set("content-type", "text/plain; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "Sign-in failed: %s\n", explain(err))
		} else {
			fmt.Fprint(w, "Signed in. You can close this tab and return to the terminal.\n")
		}
		select {
		case done <- outcome{token, err}:
		default:
		}
	})
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()

	var result outcome
	select {
	case result = <-done:
	case <-time.After(time.Duration(seconds * float64(time.Second))):
		fail("No sign-in within %s s: run login again.", strconv.FormatFloat(seconds, 'f', -1, 64))
	}
	// Lets the browser's answer go out before the program ends.
	shutdown, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = server.Shutdown(shutdown)
	if result.err != nil {
		fail("sign-in failed: %s", explain(result.err))
	}
	keep(result.token)
	if result.token.RefreshToken == "" {
		fmt.Fprintln(os.Stderr, "No refresh token (offline_access not granted): sign in again later.")
	}
	fmt.Println(result.token.AccessToken)
}

// Checks state and iss (RFC 9207), sends the code with the PKCE verifier, and checks the ID token.
func exchange(r *http.Request, config *oauth2.Config, verify *oidc.IDTokenVerifier, state, verifier string) (*oauth2.Token, error) {
	q := r.URL.Query()
	if q.Get("state") != state {
		return nil, errors.New("the state of the answer is not this sign-in's")
	}
	if q.Get("iss") != issuer {
		return nil, fmt.Errorf("the answer comes from %q, not from %q", q.Get("iss"), issuer)
	}
	if e := q.Get("error"); e != "" {
		return nil, &oauth2.RetrieveError{ErrorCode: e, ErrorDescription: q.Get("error_description")}
	}
	token, err := config.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, err
	}
	if raw, ok := token.Extra("id_token").(string); ok {
		if _, err := verify.Verify(r.Context(), raw); err != nil {
			return nil, err
		}
	}
	return token, nil
}

func refresh(ctx context.Context, config *oauth2.Config) {
	kept, err := os.ReadFile(tokenFile())
	if err != nil {
		fail("Not signed in: run login first.")
	}
	token, err := config.TokenSource(ctx, &oauth2.Token{RefreshToken: strings.TrimSpace(string(kept))}).Token()
	if err != nil {
		// invalid_grant: the token expired, was revoked, or was used twice (then its whole family is revoked).
		var answer *oauth2.RetrieveError
		if errors.As(err, &answer) && answer.ErrorCode == "invalid_grant" {
			_ = os.Remove(tokenFile())
		}
		fail("refresh failed: %s: run login again.", explain(err))
	}
	keep(token)
	fmt.Println(token.AccessToken)
}

func logout(ctx context.Context, provider *oidc.Provider) {
	kept, err := os.ReadFile(tokenFile())
	if err != nil {
		return
	}
	var metadata struct {
		RevocationEndpoint string `json:"revocation_endpoint"`
	}
	if err := provider.Claims(&metadata); err != nil || metadata.RevocationEndpoint == "" {
		fail("the issuer names no revocation endpoint")
	}
	// RFC 7009: revoking a refresh token ends its family; a public client sends its client_id only.
	form := url.Values{
		"token":           {strings.TrimSpace(string(kept))},
		"token_type_hint": {"refresh_token"},
		"client_id":       {clientID},
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, metadata.RevocationEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("content-type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("logout failed: %v", err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fail("logout failed: the revocation endpoint answered %s", res.Status)
	}
	_ = os.Remove(tokenFile())
}

func main() {
	ctx := context.Background()
	command := ""
	if len(os.Args) == 2 {
		command = os.Args[1]
	}
	if command != "login" && command != "token" && command != "logout" {
		fail("usage: notes-cli login | token | logout")
	}
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		fail("discovery failed: %v", err)
	}
	config := &oauth2.Config{
		ClientID: clientID,
		Endpoint: provider.Endpoint(),
		Scopes:   []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "notes:read"},
	}
	// A public client: client_id in the form, no secret, no HTTP Basic.
	config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	switch command {
	case "login":
		login(ctx, provider, config)
	case "token":
		refresh(ctx, config)
	case "logout":
		logout(ctx, provider)
	}
}

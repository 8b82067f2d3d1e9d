package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// OIDCConfig configures --auth oidc.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends the browser back; "" derives
	// https?://HOST/auth/oidc/callback from each request.
	RedirectURL string
	// AllowedDomains, when set, admit only verified e-mail addresses in
	// them.
	AllowedDomains []string
	// RoleClaim names a claim (groups) whose values RoleMap maps to roles;
	// the strongest match wins, DefaultRole (viewer) when none matches.
	RoleClaim   string
	RoleMap     map[string]lambdadeck.Role
	DefaultRole lambdadeck.Role
}

// oidcProvider signs people in with an OpenID Connect provider, with
// github.com/coreos/go-oidc (discovery, ID token verification) and
// golang.org/x/oauth2 (the code flow, PKCE). Each sign-in carries a state
// (bound to the browser by a cookie), a nonce (checked in the ID token) and
// a PKCE verifier, all kept here in memory for oidcFlowTTL.
type oidcProvider struct {
	cfg      OIDCConfig
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier

	mu    sync.Mutex
	flows map[string]oidcFlow // by state
}

type oidcFlow struct {
	nonce, verifier, next, redirect string
	expires                         time.Time
}

const (
	oidcFlowTTL    = 10 * time.Minute
	oidcFlowCookie = "lambdadeck_oidc"
	maxOIDCFlows   = 10000
)

func newOIDCProvider(ctx context.Context, cfg OIDCConfig) (*oidcProvider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("--auth oidc needs --oidc-issuer, --oidc-client-id and --oidc-client-secret-file")
	}
	if cfg.DefaultRole == "" {
		cfg.DefaultRole = lambdadeck.RoleViewer
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer %s: %w", cfg.Issuer, err)
	}
	return &oidcProvider{cfg: cfg, provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}), flows: map[string]oidcFlow{}}, nil
}

func (o *oidcProvider) oauth(redirect string) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID, "email", "profile"}
	if o.cfg.RoleClaim == "groups" {
		scopes = append(scopes, "groups")
	}
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: o.provider.Endpoint(),
		RedirectURL: redirect, Scopes: scopes}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// redirectURL is where the provider sends the browser back.
func (s *Server) oidcRedirectURL(c echo.Context) string {
	if s.oidc.cfg.RedirectURL != "" {
		return s.oidc.cfg.RedirectURL
	}
	scheme := "http"
	if s.secureRequest(c.Request()) {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host + "/auth/oidc/callback"
}

// oidcLogin is GET /auth/oidc/login: off to the provider.
func (s *Server) oidcLogin(c echo.Context) error {
	if s.oidc == nil {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "This lambdadeck does not sign in with OIDC.")
	}
	next := c.QueryParam("next")
	if !safeNext(next) {
		next = "/"
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	redirect := s.oidcRedirectURL(c)
	o := s.oidc
	o.mu.Lock()
	now := time.Now()
	for k, f := range o.flows {
		if now.After(f.expires) {
			delete(o.flows, k)
		}
	}
	if len(o.flows) >= maxOIDCFlows {
		o.mu.Unlock()
		return lambdadeck.Errorf(lambdadeck.ETHROTTLED, "Too many sign-ins are under way. Try again in a minute.")
	}
	o.flows[state] = oidcFlow{nonce: nonce, verifier: verifier, next: next, redirect: redirect, expires: now.Add(oidcFlowTTL)}
	o.mu.Unlock()
	c.SetCookie(&http.Cookie{Name: oidcFlowCookie, Value: state, Path: "/auth/oidc/", MaxAge: int(oidcFlowTTL / time.Second),
		HttpOnly: true, Secure: s.secureRequest(c.Request()), SameSite: http.SameSiteLaxMode})
	url := o.oauth(redirect).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return c.Redirect(http.StatusFound, url)
}

// oidcCallback is GET /auth/oidc/callback: the provider's answer. The
// state must be the one this browser started with, the code is exchanged
// with the PKCE verifier, and the ID token must verify (issuer, audience,
// expiry, signature) and carry the nonce.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "This lambdadeck does not sign in with OIDC.")
	}
	o := s.oidc
	state := c.QueryParam("state")
	cookie, err := c.Cookie(oidcFlowCookie)
	if state == "" || err != nil || cookie.Value != state {
		return s.oidcRefuse(c, "", "The sign-in did not start in this browser, or took too long. Sign in again.")
	}
	c.SetCookie(&http.Cookie{Name: oidcFlowCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureRequest(c.Request()), SameSite: http.SameSiteLaxMode})
	o.mu.Lock()
	flow, ok := o.flows[state]
	delete(o.flows, state)
	o.mu.Unlock()
	if !ok || time.Now().After(flow.expires) {
		return s.oidcRefuse(c, "", "The sign-in took too long or was already used. Sign in again.")
	}
	if e := c.QueryParam("error"); e != "" {
		return s.oidcRefuse(c, "", "The identity provider refused the sign-in: "+e+" "+c.QueryParam("error_description"))
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 20*time.Second)
	defer cancel()
	token, err := o.oauth(flow.redirect).Exchange(ctx, c.QueryParam("code"), oauth2.VerifierOption(flow.verifier))
	if err != nil {
		s.logger.Warn("OIDC code exchange failed", "err", err)
		return s.oidcRefuse(c, "", "The identity provider did not accept the sign-in code. Sign in again.")
	}
	raw, _ := token.Extra("id_token").(string)
	if raw == "" {
		return s.oidcRefuse(c, "", "The identity provider sent no ID token.")
	}
	idToken, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		s.logger.Warn("OIDC ID token refused", "err", err)
		return s.oidcRefuse(c, "", "The identity provider's ID token did not verify.")
	}
	if idToken.Nonce != flow.nonce {
		return s.oidcRefuse(c, "", "The ID token is not for this sign-in (nonce mismatch).")
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		return s.oidcRefuse(c, "", "The ID token's claims cannot be read.")
	}
	u, err := s.oidcAccount(c, claims)
	if err != nil {
		if lambdadeck.ErrorCode(err) == lambdadeck.EFORBIDDEN {
			return s.oidcRefuse(c, claimString(claims, "email"), lambdadeck.ErrorMessage(err))
		}
		return err
	}
	if err := s.openSession(c, u, "oidc"); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, flow.next)
}

func (s *Server) oidcRefuse(c echo.Context, who, message string) error {
	s.audit(c, anonymousPrincipal, store.AuditLoginFailed, who, "oidc: "+message)
	return s.renderLogin(c, http.StatusForbidden, "/", "", message)
}

func claimString(claims map[string]any, name string) string {
	v, _ := claims[name].(string)
	return v
}

// oidcRole maps the role claim's values to the strongest role they name.
func (o *oidcProvider) oidcRole(claims map[string]any) (lambdadeck.Role, bool) {
	if o.cfg.RoleClaim == "" {
		return "", false
	}
	var values []string
	switch v := claims[o.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	var best lambdadeck.Role
	for _, v := range values {
		if r, ok := o.cfg.RoleMap[v]; ok && (best == "" || r.Allows(best)) {
			best = r
		}
	}
	return best, best != ""
}

// oidcAccount finds or creates the account of a verified ID token: by its
// e-mail address, admitted only from --oidc-allowed-domain when given. The
// role claim, when configured and matched, sets the role at every sign-in.
func (s *Server) oidcAccount(c echo.Context, claims map[string]any) (lambdadeck.User, error) {
	o := s.oidc
	ctx := c.Request().Context()
	email := strings.TrimSpace(claimString(claims, "email"))
	if email == "" {
		return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "The identity provider gave no e-mail address.")
	}
	if verified, ok := claims["email_verified"].(bool); ok && !verified {
		return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "The e-mail address %s is not verified by the identity provider.", email)
	}
	if len(o.cfg.AllowedDomains) > 0 {
		_, domain, _ := strings.Cut(email, "@")
		allowed := false
		for _, d := range o.cfg.AllowedDomains {
			allowed = allowed || strings.EqualFold(d, domain)
		}
		if !allowed {
			return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "Accounts of %s may not sign in to this lambdadeck.", domain)
		}
	}
	mapped, hasMapped := o.oidcRole(claims)
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		if u.Disabled {
			return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "This account is disabled.")
		}
		if hasMapped && mapped != u.Role {
			if err := s.store.SetUserRole(ctx, u.ID, mapped); err != nil {
				return lambdadeck.User{}, err
			}
			s.audit(c, userPrincipal(u), store.AuditUserRole, u.Name, fmt.Sprintf("%s -> %s from the %s claim", u.Role, mapped, o.cfg.RoleClaim))
			u.Role = mapped
		}
		return u, nil
	case lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND:
		return lambdadeck.User{}, err
	}
	u = lambdadeck.User{Name: email, Email: email, Role: o.cfg.DefaultRole}
	if hasMapped {
		u.Role = mapped
	}
	if err := s.store.CreateUser(ctx, &u, ""); err != nil {
		return lambdadeck.User{}, err
	}
	s.audit(c, userPrincipal(u), store.AuditUserCreate, u.Name, "first OIDC sign-in, role "+string(u.Role))
	return u, nil
}

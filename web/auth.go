package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// AuthMode is how a lambdadeck knows who makes each request.
type AuthMode string

// The modes of serve --auth.
const (
	// AuthLaptop (no --auth, loopback only): no sign-in, every request is
	// the local user's, with every role.
	AuthLaptop AuthMode = ""
	// AuthNone runs open on a network: no sign-in, every request may do
	// everything, and every page says so.
	AuthNone AuthMode = "none"
	// AuthLocal signs people in with accounts and passwords in the store.
	AuthLocal AuthMode = "local"
	// AuthProxy believes a header a trusted proxy sets (oauth2-proxy,
	// Tailscale, Cloudflare Access).
	AuthProxy AuthMode = "proxy"
	// AuthOIDC signs people in with the team's OpenID Connect provider.
	AuthOIDC AuthMode = "oidc"
)

// ParseAuthMode reads serve --auth.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(strings.ToLower(strings.TrimSpace(s))); m {
	case AuthNone, AuthLocal, AuthProxy, AuthOIDC:
		return m, nil
	}
	return "", lambdadeck.Errorf(lambdadeck.EINVALID, "--auth %q is not a mode: use local, proxy, oidc or none.", s)
}

// Session lifetimes when AuthConfig leaves them zero.
const (
	DefaultSessionIdle = 12 * time.Hour
	DefaultSessionMax  = 7 * 24 * time.Hour
)

// sessionCookie names the dashboard's session cookie.
const sessionCookie = "lambdadeck_session"

// AuthConfig is how the dashboard authenticates (Config.Auth).
type AuthConfig struct {
	Mode AuthMode
	// SessionIdle ends a session unused this long; SessionMax ends any
	// session this long after sign-in.
	SessionIdle, SessionMax time.Duration
	// TLS: the dashboard is served over HTTPS (--tls-cert), so cookies
	// are Secure.
	TLS bool
	// ProxyHeader carries the signed-in user's e-mail address or name,
	// believed only from TrustedProxies (AuthProxy).
	ProxyHeader      string
	TrustedProxies   []netip.Prefix
	ProxyDefaultRole lambdadeck.Role
	// OIDC configures AuthOIDC.
	OIDC OIDCConfig
}

func (a AuthConfig) withDefaults() AuthConfig {
	if a.SessionIdle <= 0 {
		a.SessionIdle = DefaultSessionIdle
	}
	if a.SessionMax <= 0 {
		a.SessionMax = DefaultSessionMax
	}
	if a.ProxyDefaultRole == "" {
		a.ProxyDefaultRole = lambdadeck.RoleViewer
	}
	return a
}

// team reports whether people sign in (local, proxy or OIDC).
func (a AuthConfig) team() bool {
	return a.Mode == AuthLocal || a.Mode == AuthProxy || a.Mode == AuthOIDC
}

// check refuses an incomplete configuration.
func (a AuthConfig) check() error {
	switch a.Mode {
	case AuthLaptop, AuthNone, AuthLocal, AuthOIDC:
	case AuthProxy:
		if a.ProxyHeader == "" {
			return errors.New("--auth proxy needs --auth-proxy-header (X-Forwarded-Email, for example)")
		}
		if len(a.TrustedProxies) == 0 {
			return errors.New("--auth proxy needs --trusted-proxy CIDR (the proxy's address, like 10.0.0.0/8)")
		}
		if !a.ProxyDefaultRole.Valid() {
			return fmt.Errorf("--auth-proxy-default-role %q is not a role", a.ProxyDefaultRole)
		}
	default:
		return fmt.Errorf("unknown auth mode %q", a.Mode)
	}
	return nil
}

var (
	// anonymousPrincipal is a team-mode visitor who has not signed in.
	anonymousPrincipal = lambdadeck.Principal{Kind: lambdadeck.PrincipalAnonymous, User: "anonymous"}
	// openPrincipal is everybody under --auth none.
	openPrincipal = lambdadeck.Principal{Kind: lambdadeck.PrincipalLocal, User: "anonymous", Role: lambdadeck.RoleAdmin}
)

// userPrincipal is a signed-in account.
func userPrincipal(u lambdadeck.User) lambdadeck.Principal {
	return lambdadeck.Principal{Kind: lambdadeck.PrincipalUser, UserID: u.ID, User: u.Name, Role: u.Role}
}

// peerAddr is the address of the connection's other end.
func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// fromTrustedProxy reports whether the request's peer is a --trusted-proxy.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	a := peerAddr(r)
	if !a.IsValid() {
		return false
	}
	for _, p := range s.auth.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address the request came from: the peer, or the last
// X-Forwarded-For hop a trusted proxy added.
func (s *Server) clientAddr(r *http.Request) string {
	if s.fromTrustedProxy(r) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			hops := strings.Split(xff, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(hops[len(hops)-1])); err == nil {
				return a.String()
			}
		}
	}
	if a := peerAddr(r); a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// secureRequest reports whether the browser reached lambdadeck over HTTPS:
// served with TLS, or a trusted proxy says so.
func (s *Server) secureRequest(r *http.Request) bool {
	return s.auth.TLS || r.TLS != nil ||
		(s.fromTrustedProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// authenticate sets the request's principal: in laptop mode the local user
// (the default), under --auth none everybody, behind a proxy the account
// its header names, otherwise the account of the session cookie, or
// anonymous.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch s.auth.Mode {
		case AuthLaptop:
			return next(c)
		case AuthNone:
			setPrincipal(c, openPrincipal)
			return next(c)
		case AuthProxy:
			p, err := s.proxyPrincipal(c)
			if err != nil {
				return err
			}
			setPrincipal(c, p)
			return next(c)
		}
		setPrincipal(c, anonymousPrincipal)
		if cookie, err := c.Cookie(sessionCookie); err == nil && cookie.Value != "" {
			_, u, err := s.store.SessionUser(c.Request().Context(), cookie.Value, s.auth.SessionIdle)
			switch {
			case err == nil && !u.Disabled:
				setPrincipal(c, userPrincipal(u))
			case err == nil || lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND:
				s.clearSessionCookie(c)
			default:
				return err
			}
		}
		return next(c)
	}
}

// openSession signs u in: a fresh session id (never the one the browser
// had, so a planted cookie is useless), stored hashed, in an HttpOnly,
// SameSite=Lax cookie; any session the cookie named before ends.
func (s *Server) openSession(c echo.Context, u lambdadeck.User, method string) error {
	ctx := c.Request().Context()
	if old, err := c.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := s.store.DeleteSession(ctx, old.Value); err != nil {
			return err
		}
	}
	id, err := newSessionID()
	if err != nil {
		return err
	}
	expires := time.Now().Add(s.auth.SessionMax)
	if err := s.store.CreateSession(ctx, id, store.Session{UserID: u.ID, ExpiresAt: expires, Method: method,
		Client: s.clientAddr(c.Request())}); err != nil {
		return err
	}
	if err := s.store.TouchUserLogin(ctx, u.ID); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/", Expires: expires, HttpOnly: true,
		Secure: s.secureRequest(c.Request()), SameSite: http.SameSiteLaxMode})
	s.audit(c, userPrincipal(u), store.AuditLogin, u.Name, "signed in with "+method)
	return nil
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureRequest(c.Request()), SameSite: http.SameSiteLaxMode})
}

// audit appends to the audit log; a failure is logged, never shown: the
// action itself already happened.
func (s *Server) audit(c echo.Context, p lambdadeck.Principal, action, target, detail string) {
	ctx := context.WithoutCancel(c.Request().Context())
	if err := s.store.AppendAudit(ctx, store.AuditEntry{Actor: p.String(), Action: action, Target: target,
		Detail: detail, Client: s.clientAddr(c.Request())}); err != nil {
		s.logger.Error("audit log", "action", action, "err", err)
	}
}

// auditAs is audit by the request's own principal.
func (s *Server) auditAs(c echo.Context, action, target, detail string) {
	s.audit(c, principalOf(c), action, target, detail)
}

// loginPage is GET /login.
func (s *Server) loginPage(c echo.Context) error {
	next := c.QueryParam("next")
	if !safeNext(next) {
		next = "/"
	}
	if principalOf(c).Kind == lambdadeck.PrincipalUser {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderLogin(c, http.StatusOK, next, "", "")
}

func (s *Server) renderLogin(c echo.Context, status int, next, name, problem string) error {
	switch s.auth.Mode {
	case AuthLocal, AuthOIDC:
	default:
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "This lambdadeck has no sign-in page.")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, status, views.Login(views.LoginPage{Page: s.page(c, "Sign in", ""), Next: next, Name: name,
		Problem: problem, Local: s.auth.Mode == AuthLocal, OIDC: s.auth.Mode == AuthOIDC}))
}

// login is POST /login: a local account's name and password. Attempts are
// rate-limited per account name and per client address; an unknown or
// disabled account costs the same hashing as a wrong password, and every
// refusal reads the same.
func (s *Server) login(c echo.Context) error {
	if s.auth.Mode != AuthLocal {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "This lambdadeck does not sign in with passwords.")
	}
	ctx := c.Request().Context()
	name := strings.TrimSpace(c.FormValue("name"))
	password := c.FormValue("password")
	next := c.FormValue("next")
	if !safeNext(next) {
		next = "/"
	}
	client := s.clientAddr(c.Request())
	if wait := s.limiter.allow(strings.ToLower(name), client); wait > 0 {
		secs := int(wait.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		c.Response().Header().Set("Retry-After", fmt.Sprint(secs))
		s.audit(c, anonymousPrincipal, store.AuditLoginFailed, clipName(name), "rate limited")
		return s.renderLogin(c, http.StatusTooManyRequests, next, name,
			fmt.Sprintf("Too many sign-in attempts. Try again in %d s.", secs))
	}
	u, err := s.store.UserByName(ctx, name)
	hash := ""
	switch {
	case err == nil && !u.Disabled && u.HasPassword:
		if hash, err = s.store.UserPasswordHash(ctx, u.ID); err != nil {
			return err
		}
	case err == nil, lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND:
	default:
		return err
	}
	if hash == "" {
		VerifyPassword(dummyHash(), password) // as long as a real check
	} else if VerifyPassword(hash, password) {
		if err := s.openSession(c, u, "password"); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, next)
	}
	s.audit(c, anonymousPrincipal, store.AuditLoginFailed, clipName(name), "wrong name or password")
	return s.renderLogin(c, http.StatusUnauthorized, next, name, "The name or the password is wrong.")
}

// clipName bounds a typed account name before it reaches the audit log.
func clipName(name string) string {
	if len(name) > store.MaxUserName*4 {
		return name[:store.MaxUserName*4]
	}
	return name
}

// logout is POST /logout: ends the cookie's session.
func (s *Server) logout(c echo.Context) error {
	if cookie, err := c.Cookie(sessionCookie); err == nil && cookie.Value != "" {
		if err := s.store.DeleteSession(c.Request().Context(), cookie.Value); err != nil {
			return err
		}
		if p := principalOf(c); p.Kind == lambdadeck.PrincipalUser {
			s.auditAs(c, store.AuditLogout, p.User, "")
		}
	}
	s.clearSessionCookie(c)
	if s.auth.Mode == AuthLocal || s.auth.Mode == AuthOIDC {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// accountPage is GET /account: who I am, my role, change my password,
// sign out everywhere.
func (s *Server) accountPage(c echo.Context) error {
	return s.renderAccount(c, http.StatusOK, "", "")
}

func (s *Server) renderAccount(c echo.Context, status int, notice, problem string) error {
	p := principalOf(c)
	model := views.AccountPage{Page: s.page(c, "Your account", ""), Notice: notice, Problem: problem}
	if p.Kind == lambdadeck.PrincipalUser || p.Kind == lambdadeck.PrincipalKey {
		u, err := s.store.User(c.Request().Context(), p.UserID)
		if err != nil {
			return err
		}
		model.User = u
		model.Sessions, _ = s.store.CountUserSessions(c.Request().Context(), u.ID)
	}
	model.CanChangePassword = s.auth.Mode == AuthLocal && model.User.ID != 0
	return render(c, status, views.Account(model))
}

// changePassword is POST /account/password: the current password, then the
// new one twice. Every other session of the account ends.
func (s *Server) changePassword(c echo.Context) error {
	p := principalOf(c)
	if s.auth.Mode != AuthLocal || p.Kind != lambdadeck.PrincipalUser {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "Only a local account signed in with a password can change it here.")
	}
	ctx := c.Request().Context()
	current, next, again := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	client := s.clientAddr(c.Request())
	if wait := s.limiter.allow(strings.ToLower(p.User), client); wait > 0 {
		return s.renderAccount(c, http.StatusTooManyRequests, "", fmt.Sprintf("Too many attempts. Try again in %d s.", max(1, int(wait/time.Second))))
	}
	hash, err := s.store.UserPasswordHash(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !VerifyPassword(hash, current) {
		return s.renderAccount(c, http.StatusBadRequest, "", "The current password is wrong.")
	}
	if next != again {
		return s.renderAccount(c, http.StatusBadRequest, "", "The new password and its confirmation differ.")
	}
	newHash, err := HashPassword(next)
	if err != nil {
		return s.renderAccount(c, http.StatusBadRequest, "", lambdadeck.ErrorMessage(err))
	}
	if err := s.store.SetUserPasswordHash(ctx, p.UserID, newHash); err != nil {
		return err
	}
	if _, err := s.store.DeleteUserSessions(ctx, p.UserID); err != nil {
		return err
	}
	u, err := s.store.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	s.auditAs(c, store.AuditPasswordChange, p.User, "every other session ended")
	if err := s.openSession(c, u, "password"); err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, "Your password is changed, and every other session is signed out.", "")
}

// logoutEverywhere is POST /account/logout-all: ends every session of the
// account, this one included.
func (s *Server) logoutEverywhere(c echo.Context) error {
	p := principalOf(c)
	if p.Kind != lambdadeck.PrincipalUser {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "Only a signed-in account has sessions to end.")
	}
	n, err := s.store.DeleteUserSessions(c.Request().Context(), p.UserID)
	if err != nil {
		return err
	}
	s.auditAs(c, store.AuditLogoutAll, p.User, fmt.Sprintf("%d sessions ended", n))
	s.clearSessionCookie(c)
	if s.auth.Mode == AuthProxy {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

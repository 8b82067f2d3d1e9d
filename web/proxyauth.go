package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// proxyPrincipal is --auth proxy: the account named by the proxy's header
// (an e-mail address or a name), believed only when the connection comes
// from a --trusted-proxy. An untrusted peer, or a trusted one without the
// header, is anonymous (refused: there is no sign-in page to send it to). An
// unknown user gets an account with --auth-proxy-default-role on first
// sight.
func (s *Server) proxyPrincipal(c echo.Context) (lambdadeck.Principal, error) {
	req := c.Request()
	if !s.fromTrustedProxy(req) {
		return anonymousPrincipal, nil
	}
	who := strings.TrimSpace(req.Header.Get(s.auth.ProxyHeader))
	if who == "" || store.ValidUserName(who) != nil {
		return anonymousPrincipal, nil
	}
	ctx := req.Context()
	var u lambdadeck.User
	var err error
	if strings.Contains(who, "@") {
		u, err = s.store.UserByEmail(ctx, who)
		if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
			u, err = s.store.UserByName(ctx, who)
		}
	} else {
		u, err = s.store.UserByName(ctx, who)
	}
	switch {
	case err == nil:
	case lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND:
		u = lambdadeck.User{Name: who, Role: s.auth.ProxyDefaultRole}
		if strings.Contains(who, "@") {
			u.Email = who
		}
		if err := s.store.CreateUser(ctx, &u, ""); err != nil {
			if lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
				return anonymousPrincipal, err
			}
			// Another request created it first.
			if u, err = s.store.UserByName(ctx, who); err != nil {
				return anonymousPrincipal, err
			}
		} else {
			s.audit(c, userPrincipal(u), store.AuditUserCreate, u.Name, "first seen through the proxy, role "+string(u.Role))
		}
	default:
		return anonymousPrincipal, err
	}
	if u.Disabled {
		return anonymousPrincipal, nil
	}
	return userPrincipal(u), nil
}

package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/web"
)

// teamFlags are serve's team-mode flags: how people sign in, sessions, TLS.
type teamFlags struct {
	auth             string
	proxyHeader      string
	trustedProxies   stringList
	proxyDefaultRole string
	oidcIssuer       string
	oidcClientID     string
	oidcSecretFile   string
	oidcRedirect     string
	oidcDomains      stringList
	oidcRoleClaim    string
	oidcRoleMap      string
	sessionIdle      time.Duration
	sessionMax       time.Duration
	tlsCert, tlsKey  string
}

func (t *teamFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.auth, "auth", "", "team mode: how people sign in, `local|proxy|oidc` (or none: open to anyone who can reach it); required for an --addr beyond loopback")
	fs.StringVar(&t.proxyHeader, "auth-proxy-header", "", "--auth proxy: the `header` the proxy puts the user's e-mail address or name in (X-Forwarded-Email)")
	fs.Var(&t.trustedProxies, "trusted-proxy", "--auth proxy: a `CIDR` (10.0.0.0/8) or address of the proxy; its header and X-Forwarded-Proto are believed only from these; repeatable")
	fs.StringVar(&t.proxyDefaultRole, "auth-proxy-default-role", "viewer", "--auth proxy: the `role` of a user seen for the first time")
	fs.StringVar(&t.oidcIssuer, "oidc-issuer", "", "--auth oidc: the provider's issuer `URL`")
	fs.StringVar(&t.oidcClientID, "oidc-client-id", "", "--auth oidc: this lambdadeck's client `id` at the provider")
	fs.StringVar(&t.oidcSecretFile, "oidc-client-secret-file", "", "--auth oidc: a `file` holding the client secret (never a flag value: it would show in ps)")
	fs.StringVar(&t.oidcRedirect, "oidc-redirect-url", "", "--auth oidc: the callback `URL` registered at the provider (default: http(s)://HOST/auth/oidc/callback)")
	fs.Var(&t.oidcDomains, "oidc-allowed-domain", "--auth oidc: admit only e-mail addresses of this `domain`; repeatable")
	fs.StringVar(&t.oidcRoleClaim, "oidc-role-claim", "", "--auth oidc: a `claim` (groups) whose values --oidc-role-map turns into roles")
	fs.StringVar(&t.oidcRoleMap, "oidc-role-map", "", "--auth oidc: `group=role,...` (admins=admin,devs=runner); the strongest match wins, viewer when none")
	fs.DurationVar(&t.sessionIdle, "session-idle", web.DefaultSessionIdle, "sign a session out after this `long` unused")
	fs.DurationVar(&t.sessionMax, "session-max", web.DefaultSessionMax, "sign a session out this `long` after sign-in, used or not")
	fs.StringVar(&t.tlsCert, "tls-cert", "", "serve the dashboard and --api-addr over HTTPS with this certificate `file` (PEM; with --tls-key)")
	fs.StringVar(&t.tlsKey, "tls-key", "", "the private key `file` of --tls-cert (PEM)")
}

// loopbackAddr reports whether a listen address stays on this machine.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false // ":8080" is every interface
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// config checks the team flags against the listen addresses and returns
// the web configuration, before anything is opened; tlsConfig is nil
// without --tls-cert. The OIDC secret file is read here.
func (t *teamFlags) config(addrs map[string]string) (web.AuthConfig, *tls.Config, error) {
	var cfg web.AuthConfig
	if t.auth != "" {
		mode, err := web.ParseAuthMode(t.auth)
		if err != nil {
			return cfg, nil, err
		}
		cfg.Mode = mode
	}
	if cfg.Mode == web.AuthLaptop {
		for _, flag := range []string{"--addr", "--api-addr", "--http-addr"} {
			if v := addrs[flag]; v != "" && !loopbackAddr(v) {
				return cfg, nil, fmt.Errorf("%s %s reaches beyond this machine, and lambdadeck has no sign-in by default: add --auth local (accounts: lambdadeck users add), --auth proxy --auth-proxy-header X-Forwarded-Email --trusted-proxy CIDR, or --auth oidc --oidc-issuer URL ...; --auth none runs it open to anyone who can reach it", flag, v)
			}
		}
	}
	if cfg.Mode != web.AuthProxy && (t.proxyHeader != "" || len(t.trustedProxies) > 0) {
		return cfg, nil, fmt.Errorf("--auth-proxy-header and --trusted-proxy need --auth proxy")
	}
	if cfg.Mode != web.AuthOIDC && (t.oidcIssuer != "" || t.oidcClientID != "" || t.oidcSecretFile != "") {
		return cfg, nil, fmt.Errorf("--oidc-* flags need --auth oidc")
	}
	if t.sessionIdle <= 0 || t.sessionMax <= 0 || t.sessionIdle > t.sessionMax {
		return cfg, nil, fmt.Errorf("--session-idle and --session-max must be positive, and idle no longer than max (like 12h and 168h)")
	}
	cfg.SessionIdle, cfg.SessionMax = t.sessionIdle, t.sessionMax
	switch cfg.Mode {
	case web.AuthProxy:
		if t.proxyHeader == "" {
			return cfg, nil, fmt.Errorf("--auth proxy needs --auth-proxy-header (X-Forwarded-Email, for example)")
		}
		if len(t.trustedProxies) == 0 {
			return cfg, nil, fmt.Errorf("--auth proxy needs --trusted-proxy CIDR: the header is believed only from the proxy's address")
		}
		for _, v := range t.trustedProxies {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				a, aerr := netip.ParseAddr(v)
				if aerr != nil {
					return cfg, nil, fmt.Errorf("--trusted-proxy %q is not a CIDR (10.0.0.0/8) or an address", v)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			cfg.TrustedProxies = append(cfg.TrustedProxies, p.Masked())
		}
		role, err := lambdadeck.ParseRole(t.proxyDefaultRole)
		if err != nil {
			return cfg, nil, fmt.Errorf("--auth-proxy-default-role: %s", lambdadeck.ErrorMessage(err))
		}
		cfg.ProxyHeader, cfg.ProxyDefaultRole = t.proxyHeader, role
	case web.AuthOIDC:
		if t.oidcIssuer == "" || t.oidcClientID == "" || t.oidcSecretFile == "" {
			return cfg, nil, fmt.Errorf("--auth oidc needs --oidc-issuer URL, --oidc-client-id ID and --oidc-client-secret-file FILE")
		}
		secret, err := os.ReadFile(t.oidcSecretFile)
		if err != nil {
			return cfg, nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		o := web.OIDCConfig{Issuer: t.oidcIssuer, ClientID: t.oidcClientID, ClientSecret: strings.TrimSpace(string(secret)),
			RedirectURL: t.oidcRedirect, AllowedDomains: t.oidcDomains, RoleClaim: t.oidcRoleClaim, DefaultRole: lambdadeck.RoleViewer}
		if o.ClientSecret == "" {
			return cfg, nil, fmt.Errorf("--oidc-client-secret-file %s is empty", t.oidcSecretFile)
		}
		if t.oidcRoleMap != "" {
			if t.oidcRoleClaim == "" {
				return cfg, nil, fmt.Errorf("--oidc-role-map needs --oidc-role-claim (groups)")
			}
			o.RoleMap = map[string]lambdadeck.Role{}
			for _, pair := range strings.Split(t.oidcRoleMap, ",") {
				group, role, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || group == "" {
					return cfg, nil, fmt.Errorf("--oidc-role-map %q: want group=role,group=role", t.oidcRoleMap)
				}
				r, err := lambdadeck.ParseRole(role)
				if err != nil {
					return cfg, nil, fmt.Errorf("--oidc-role-map: %s", lambdadeck.ErrorMessage(err))
				}
				o.RoleMap[group] = r
			}
		}
		cfg.OIDC = o
	}
	if (t.tlsCert == "") != (t.tlsKey == "") {
		return cfg, nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	var tlsConfig *tls.Config
	if t.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(t.tlsCert, t.tlsKey)
		if err != nil {
			return cfg, nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		cfg.TLS = true
	}
	return cfg, tlsConfig, nil
}

package web

import (
	"github.com/lambdadeck/lambdadeck/invoker/peer"

	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/netutil"
)

// The guard answers before Echo, on every route of both listeners (the
// dashboard's and serve --api-addr's): a request must be addressed to
// lambdadeck by name (the Host check, against DNS rebinding) and come from
// the user who started lambdadeck (the same-user check, against other local
// accounts). Each refusal is a plain answer with no data: text on the
// dashboard, AWS's JSON error shape on the Lambda API.

// Limits are the connection limits of lambdadeck's HTTP servers. The zero
// value of a field is its default.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10 s).
	ReadHeaderTimeout time.Duration
	// BodyIdleTimeout bounds the wait for each further piece of a request
	// body (default 20 s): a client that stops sending is cut.
	BodyIdleTimeout time.Duration
	// BodyTimeout bounds reading a whole request body (default 5 min: the
	// largest body, 24 MB, at 80 KB/s).
	BodyTimeout time.Duration
	// IdleTimeout bounds a kept-alive connection between requests
	// (default 2 min).
	IdleTimeout time.Duration
	// MaxConns caps the connections open at once on one listener (default
	// 1024); further clients wait in the kernel's queue until one closes.
	MaxConns int
}

func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.BodyIdleTimeout, 20*time.Second)
	def(&l.BodyTimeout, 5*time.Minute)
	def(&l.IdleTimeout, 2*time.Minute)
	if l.MaxConns <= 0 {
		l.MaxConns = 1024
	}
	return l
}

// allowedHost is one --allowed-host: a name, with a port or for any port.
type allowedHost struct {
	name string // lower case, no trailing dot
	port string // "" for any port
}

// parseAllowedHosts checks and normalises --allowed-host values: a host
// name or IP literal, optionally with ":port".
func parseAllowedHosts(values []string) ([]allowedHost, error) {
	out := make([]allowedHost, 0, len(values))
	for _, v := range values {
		if v == "" || strings.ContainsAny(v, "/ @?#\\") {
			return nil, fmt.Errorf("allowed host %q is not a host name or host:port", v)
		}
		name, port, ok := splitHost(v)
		if !ok || name == "" || strings.ContainsAny(name, "/ @?#") {
			return nil, fmt.Errorf("allowed host %q is not a host name or host:port", v)
		}
		if port != "" {
			if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("allowed host %q has an invalid port", v)
			}
		}
		out = append(out, allowedHost{name: name, port: port})
	}
	return out, nil
}

// CheckAllowedHosts checks --allowed-host values as New does, so that a
// command can refuse a bad one before it opens the store or starts anything.
func CheckAllowedHosts(values []string) error {
	_, err := parseAllowedHosts(values)
	return err
}

// splitHost splits a Host header value into its lower-case name (IPv6
// literals without brackets) and port ("" when none).
func splitHost(host string) (name, port string, ok bool) {
	switch {
	case strings.HasPrefix(host, "["):
		if end := strings.LastIndex(host, "]"); end == len(host)-1 {
			name = host[1:end]
		} else {
			h, p, err := net.SplitHostPort(host)
			if err != nil {
				return "", "", false
			}
			name, port = h, p
		}
	case strings.Contains(host, ":"):
		h, p, err := net.SplitHostPort(host)
		if err != nil {
			return "", "", false
		}
		name, port = h, p
	default:
		name = host
	}
	return strings.TrimSuffix(strings.ToLower(name), "."), port, true
}

// hostAllowed reports whether the request's Host names lambdadeck: the
// address it was reached on, localhost or a loopback literal, on the
// listener's port; or an --allowed-host. Without a connection (a test
// calling ServeHTTP) the port is not checked.
func (g *guard) hostAllowed(r *http.Request) bool {
	name, port, ok := splitHost(r.Host)
	if !ok || name == "" {
		return false
	}
	for _, a := range g.hosts {
		if a.name == name && (a.port == "" || a.port == port) {
			return true
		}
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if tcp, ok := local.(*net.TCPAddr); ok {
		want := strconv.Itoa(tcp.Port)
		if port == "" {
			port = "80"
		}
		if port != want {
			return false
		}
		if ip := net.ParseIP(name); ip != nil && ip.Equal(tcp.IP) {
			return true
		}
	}
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// guard is the handler in front of the router.
type guard struct {
	next   http.Handler
	hosts  []allowedHost
	owner  int  // the uid allowed beside root
	apiAll bool // every path is the Lambda API (serve --api-addr)
	limits Limits
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostAllowed(r) {
		g.refuse(w, r, http.StatusMisdirectedRequest, "MisdirectedRequestException", fmt.Sprintf(
			"lambdadeck answers only requests addressed to localhost, a loopback address or the address it listens on; %q is none of them (serve --allowed-host NAME adds one)", r.Host))
		return
	}
	if err := g.checkPeer(r); err != nil {
		g.refuse(w, r, http.StatusForbidden, "AccessDeniedException", err.Error())
		return
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		r.Body = newTimedBody(w, r.Body, g.limits)
	}
	g.next.ServeHTTP(w, r)
}

// refuse answers a refused request with no data: AWS's JSON error shape on
// the Lambda API, plain text elsewhere. The connection is closed after it.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, status int, awsCode, message string) {
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if g.apiAll || isLambdaAPIPath(r.URL.Path) {
		h.Set("Content-Type", "application/json")
		h.Set("x-amzn-ErrorType", awsCode)
		h.Set("x-amzn-RequestId", uuid.NewString())
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": message})
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, message+"\n")
}

// peerContextKey is where ConnContext leaves the connection's peer.
type peerContextKey struct{}

// peerConn is the client end of one connection; its owner is looked up once,
// on the connection's first request, and kept for the next ones.
type peerConn struct {
	remote, local *net.TCPAddr
	once          sync.Once
	err           error // the verdict of peer.Check for the guard's owner
}

func (p *peerConn) check(owner int) error {
	p.once.Do(func() { p.err = peer.Check(p.remote, p.local, owner) })
	return p.err
}

// connContext is http.Server.ConnContext: it notes the connection's ends,
// at no cost; the owner is looked up when the first request arrives.
func connContext(ctx context.Context, c net.Conn) context.Context {
	remote, ok1 := c.RemoteAddr().(*net.TCPAddr)
	local, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return ctx
	}
	return context.WithValue(ctx, peerContextKey{}, &peerConn{remote: remote, local: local})
}

// checkPeer refuses a connection opened by another local user (the rule is
// peer.Check's).
func (g *guard) checkPeer(r *http.Request) error {
	p, _ := r.Context().Value(peerContextKey{}).(*peerConn)
	if p == nil {
		// Served without ConnContext (an httptest server): look up per
		// request. Without a connection at all there is nothing to check.
		local, ok1 := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
		remote, err := net.ResolveTCPAddr("tcp", r.RemoteAddr)
		if !ok1 || err != nil {
			return nil
		}
		p = &peerConn{remote: remote, local: local}
	}
	return p.check(g.owner)
}

// timedBody enforces the body limits: each read must bring data within
// BodyIdleTimeout, and the whole body within BodyTimeout. The read
// deadline is lifted at the end of the body, so that a long invocation
// that follows is not cut.
type timedBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	deadline time.Time
	done     bool
}

func newTimedBody(w http.ResponseWriter, body io.ReadCloser, l Limits) *timedBody {
	b := &timedBody{ReadCloser: body, rc: http.NewResponseController(w), idle: l.BodyIdleTimeout,
		deadline: time.Now().Add(l.BodyTimeout)}
	b.extend()
	return b
}

func (b *timedBody) extend() {
	d := time.Now().Add(b.idle)
	if d.After(b.deadline) {
		d = b.deadline
	}
	_ = b.rc.SetReadDeadline(d) // unsupported on a test recorder: no deadline
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case b.done:
	case err == io.EOF:
		// The whole body is in: lift the deadline. After any other error
		// (a timeout) it stays, so the connection is closed.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil:
		b.done = true
	case n > 0:
		b.extend()
	}
	return n, err
}

// HTTPServer returns an http.Server for handler (the Server itself, or
// LambdaAPI) with the connection limits: header, body and idle timeouts,
// and the peer noted for the same-user check. There is no write timeout:
// an invocation's answer may take up to its function's timeout, 15 minutes.
func (s *Server) HTTPServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		ConnContext:       connContext,
	}
}

// Listener caps the connections ln accepts at once (Limits.MaxConns).
func (s *Server) Listener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, s.limits.MaxConns)
}

// ownerUID is the uid the same-user check lets in beside root.
func ownerUID(configured int) int {
	if configured > 0 {
		return configured
	}
	return os.Getuid()
}

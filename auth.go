package lambdadeck

import (
	"fmt"
	"strings"
	"time"
)

// Role is what a principal may do. Each role includes the ones before it:
// viewer < runner < editor < admin.
type Role string

// The roles, weakest first.
const (
	// RoleViewer reads functions, history, fixtures, templates and tests.
	RoleViewer Role = "viewer"
	// RoleRunner also invokes functions and runs fixtures and tests.
	RoleRunner Role = "runner"
	// RoleEditor also creates, edits and deletes fixtures and environments,
	// and sets per-invocation environment overrides.
	RoleEditor Role = "editor"
	// RoleAdmin also manages users and the API keys of others.
	RoleAdmin Role = "admin"
)

// Roles lists every role, weakest first.
var Roles = []Role{RoleViewer, RoleRunner, RoleEditor, RoleAdmin}

// rank orders the roles; 0 is no role.
func (r Role) rank() int {
	for i, role := range Roles {
		if r == role {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r includes need: an admin may do what an editor
// may, and so on. An unknown role allows nothing.
func (r Role) Allows(need Role) bool {
	return r.rank() > 0 && r.rank() >= need.rank()
}

// ParseRole reads a role name (any case); an unknown name is EINVALID and
// the message lists the valid ones.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		names := make([]string, len(Roles))
		for i, role := range Roles {
			names[i] = string(role)
		}
		return "", Errorf(EINVALID, "%q is not a role: use one of %s.", s, strings.Join(names, ", "))
	}
	return r, nil
}

// PrincipalKind says how a principal was identified.
type PrincipalKind string

const (
	// PrincipalLocal is the user who started lambdadeck in laptop mode
	// (no login): every request is theirs.
	PrincipalLocal PrincipalKind = "local"
	// PrincipalUser is an account signed in to the dashboard (a local
	// password, a trusted proxy's header or OIDC).
	PrincipalUser PrincipalKind = "user"
	// PrincipalKey is an account calling with one of its API keys (a
	// SigV4-signed Lambda API request or the CLI with --server).
	PrincipalKey PrincipalKind = "key"
	// PrincipalAnonymous is nobody: team mode before sign-in.
	PrincipalAnonymous PrincipalKind = "anonymous"
)

// Principal is who makes a request, and what they may do.
type Principal struct {
	Kind PrincipalKind
	// UserID and User name the account; 0 and "local" in laptop mode.
	UserID int64
	User   string
	// KeyID is the access key id of a PrincipalKey; KeyName its name.
	KeyID   string
	KeyName string
	Role    Role
}

// LocalPrincipal is the owner of a laptop-mode lambdadeck: no login, every
// role.
var LocalPrincipal = Principal{Kind: PrincipalLocal, User: "local", Role: RoleAdmin}

// Can reports whether p's role includes need.
func (p Principal) Can(need Role) bool { return p.Role.Allows(need) }

// String is how the history and the audit log name p: "local",
// "alice", or "alice (key ci-runner)".
func (p Principal) String() string {
	switch p.Kind {
	case PrincipalKey:
		if p.KeyName != "" {
			return fmt.Sprintf("%s (key %s)", p.User, p.KeyName)
		}
		return fmt.Sprintf("%s (key %s)", p.User, p.KeyID)
	case PrincipalAnonymous:
		return "anonymous"
	}
	return p.User
}

// User is an account of a team-mode lambdadeck.
type User struct {
	ID   int64
	Name string // unique, case-insensitive; what people sign in with
	// Email is the address a proxy header or an OIDC provider gave; may be
	// empty for a local account.
	Email    string
	Role     Role
	Disabled bool
	// HasPassword reports whether the account can sign in with a local
	// password (proxy and OIDC accounts have none).
	HasPassword bool

	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time // zero when never
}

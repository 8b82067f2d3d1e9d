package views

import (
	"net/url"
	"strconv"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// LoginPage is the sign-in page of a team-mode lambdadeck.
type LoginPage struct {
	Page
	Next    string // where to go after signing in
	Name    string // the name typed last time
	Problem string // why the last attempt failed
	Local   bool   // sign in with a name and password
	OIDC    bool   // sign in with the identity provider
}

// AccountPage is the signed-in user's own page.
type AccountPage struct {
	Page
	User              lambdadeck.User // zero in laptop mode
	Sessions          int
	CanChangePassword bool
	Notice, Problem   string
}

// UsersPage is the admin's list of accounts.
type UsersPage struct {
	Page
	Users   []lambdadeck.User
	Roles   []lambdadeck.Role
	Notice  string // after an action: what happened
	Problem string
	// NewPassword is a one-time password just set, shown once.
	NewPassword, NewPasswordFor string
	Local                       bool // passwords exist (--auth local)
}

// AuditRow is one audit log entry, for display.
type AuditRow struct {
	ID                                    int64
	At                                    time.Time
	Actor, Action, Target, Detail, Client string
}

// AuditPage is the admin's view of the audit log.
type AuditPage struct {
	Page
	Actor, Action, Target string
	Rows                  []AuditRow
	NextBefore            int64 // the cursor of the next (older) page; 0 when none
}

func userIDURL(id int64, action string) string {
	return "/admin/users/" + strconv.FormatInt(id, 10) + "/" + action
}

func auditNextURL(p AuditPage) string {
	q := "/admin/audit?before=" + strconv.FormatInt(p.NextBefore, 10)
	for _, kv := range [][2]string{{"actor", p.Actor}, {"action", p.Action}, {"target", p.Target}} {
		if kv[1] != "" {
			q += "&" + kv[0] + "=" + url.QueryEscape(kv[1])
		}
	}
	return q
}

func oidcLoginURL(next string) string {
	if next == "" || next == "/" {
		return "/auth/oidc/login"
	}
	return "/auth/oidc/login?next=" + url.QueryEscape(next)
}

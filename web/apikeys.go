package web

// The API key pages: /account/keys, where an account manages its own keys,
// and /admin/keys, where an admin sees and revokes everyone's and creates
// keys for any account. A new key's secret is on the answer to the create
// form only (never in a URL, a redirect, a log or a later page).

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

const (
	accountKeysPath = "/account/keys"
	adminKeysPath   = "/admin/keys"
)

// keysScope is which of the two pages a request is on.
type keysScope struct {
	admin bool
	base  string
}

var (
	accountKeys = keysScope{base: accountKeysPath}
	adminKeys   = keysScope{admin: true, base: adminKeysPath}
)

// keysPrincipal returns who may use the page, or why not: the account
// page needs an account, the admin page the admin role.
func keysPrincipal(c echo.Context, scope keysScope) (lambdadeck.Principal, error) {
	p := principalOf(c)
	switch {
	case p.Kind == lambdadeck.PrincipalAnonymous:
		return p, lambdadeck.Errorf(lambdadeck.EUNAUTHORIZED, "Sign in to manage API keys.")
	case scope.admin && !p.Can(lambdadeck.RoleAdmin):
		return p, lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "Only an admin manages the API keys of others; your role is %s.", p.Role)
	case p.Kind == lambdadeck.PrincipalKey:
		return p, lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "API keys are managed from a signed-in session, not with a key.")
	}
	return p, nil
}

func (s *Server) keysPage(scope keysScope) echo.HandlerFunc {
	return func(c echo.Context) error {
		return s.renderKeys(c, scope, http.StatusOK, nil, "", "", nil)
	}
}

// renderKeys renders the page; created is a key just created (with its
// secret), formErr a refused create form.
func (s *Server) renderKeys(c echo.Context, scope keysScope, status int, created *views.CreatedKey, formName, formUser string, formErr error) error {
	p, err := keysPrincipal(c, scope)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	page := views.KeysPage{
		Page: s.page(c, "API keys", ""), Heading: "My API keys", Base: scope.base, Admin: scope.admin,
		Created: created, FormName: formName, FormUser: formUser,
	}
	if formErr != nil {
		page.Error = lambdadeck.ErrorMessage(formErr)
	}
	var owner int64
	switch {
	case scope.admin:
		page.Heading, page.CanCreate = "API keys of every account", true
		users, err := s.store.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !u.Disabled {
				page.Users = append(page.Users, u.Name)
			}
		}
		if filter := c.QueryParam("user"); filter != "" {
			u, err := s.store.UserByName(ctx, filter)
			if err != nil {
				return err
			}
			owner = u.ID
			page.Heading = "API keys of " + u.Name
		}
		if len(page.Users) == 0 {
			page.CanCreate = false
			page.Notice = "There are no accounts yet: keys belong to accounts (lambdadeck users add NAME --role ROLE)."
		}
	case p.UserID == 0:
		// Laptop mode: the machine's owner has no account, and the Lambda
		// API checks no signature.
		page.Notice = "In laptop mode the Lambda API accepts any credentials, so no key is needed. Keys belong to the accounts of a team-mode lambdadeck; an admin manages them at " + adminKeysPath + "."
		return render(c, status, views.KeysView(page))
	default:
		owner, page.CanCreate = p.UserID, true
	}
	keys, err := s.store.APIKeys(ctx, owner)
	if err != nil {
		return err
	}
	for _, k := range keys {
		page.Keys = append(page.Keys, keyRow(k))
	}
	if created != nil {
		// The secret is on this answer only: no cache may keep it.
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return render(c, status, views.KeysView(page))
}

func keyRow(k lambdadeck.APIKey) views.KeyRow {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	row := views.KeyRow{AccessKeyID: k.AccessKeyID, User: k.User, Name: k.Name, Created: when(k.CreatedAt), LastUsed: when(k.LastUsedAt), Status: "active"}
	if k.Revoked() {
		row.Revoked, row.Status = true, "revoked "+when(k.RevokedAt)
	}
	return row
}

func (s *Server) createKey(scope keysScope) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := keysPrincipal(c, scope)
		if err != nil {
			return err
		}
		if err := parseForm(c.Request()); err != nil {
			return err
		}
		ctx := c.Request().Context()
		name, userName := c.Request().PostForm.Get("name"), c.Request().PostForm.Get("user")
		owner := p.UserID
		if scope.admin {
			u, err := s.store.UserByName(ctx, userName)
			if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
				return s.renderKeys(c, scope, http.StatusUnprocessableEntity, nil, name, userName,
					lambdadeck.Errorf(lambdadeck.EINVALID, "Choose the account the key is for (there is no account %q).", userName))
			} else if err != nil {
				return err
			}
			owner = u.ID
		} else if owner == 0 {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "In laptop mode there is no account to own a key.")
		}
		if s.secrets == nil {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "This lambdadeck was started without its server key, so it cannot create API keys; use lambdadeck keys create.")
		}
		key, secret, err := s.store.CreateAPIKey(ctx, s.secrets, owner, name)
		if err != nil {
			if lambdadeck.ErrorCode(err) == lambdadeck.EINTERNAL {
				return err
			}
			return s.renderKeys(c, scope, http.StatusUnprocessableEntity, nil, name, userName, err)
		}
		s.auditAs(c, store.AuditKeyCreate, key.AccessKeyID, fmt.Sprintf("key %q of %s", key.Name, key.User))
		created := &views.CreatedKey{AccessKeyID: key.AccessKeyID, Secret: secret, Name: key.Name, User: key.User,
			Commands: keyCommands(c, key.AccessKeyID, secret)}
		return s.renderKeys(c, scope, http.StatusOK, created, "", "", nil)
	}
}

// keyCommands are the lines that set up an AWS CLI profile with a new key
// and invoke through this server.
func keyCommands(c echo.Context, accessKeyID, secret string) string {
	endpoint := c.Scheme() + "://" + c.Request().Host
	return fmt.Sprintf(`aws configure set aws_access_key_id %s --profile lambdadeck
aws configure set aws_secret_access_key %s --profile lambdadeck
aws configure set region us-east-1 --profile lambdadeck
aws lambda invoke --profile lambdadeck --endpoint-url %s \
    --function-name FUNCTION --cli-binary-format raw-in-base64-out --payload '{}' out.json`, accessKeyID, secret, endpoint)
}

func (s *Server) revokeKey(scope keysScope) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := keysPrincipal(c, scope)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		key, err := s.store.APIKey(ctx, c.Param("id"))
		if err != nil {
			return err
		}
		if key.UserID != p.UserID && !p.Can(lambdadeck.RoleAdmin) {
			// Another account's key: as if it did not exist.
			return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No API key %s.", key.AccessKeyID)
		}
		if err := s.store.RevokeAPIKey(ctx, key.AccessKeyID); err != nil {
			return err
		}
		s.auditAs(c, store.AuditKeyRevoke, key.AccessKeyID, fmt.Sprintf("key %q of %s", key.Name, key.User))
		return redirectTo(c, scope.base)
	}
}

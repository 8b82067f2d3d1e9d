package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// usersPage is GET /admin/users.
func (s *Server) usersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, views.UsersPage{})
}

func (s *Server) renderUsers(c echo.Context, status int, model views.UsersPage) error {
	users, err := s.store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	model.Page = s.page(c, "Accounts", "")
	model.Users, model.Roles, model.Local = users, lambdadeck.Roles, s.auth.Mode == AuthLocal
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, status, views.Users(model))
}

// addUser is POST /admin/users: a new account; under --auth local with a
// one-time password shown once.
func (s *Server) addUser(c echo.Context) error {
	ctx := c.Request().Context()
	role, err := lambdadeck.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.renderUsers(c, http.StatusBadRequest, views.UsersPage{Problem: lambdadeck.ErrorMessage(err)})
	}
	u := lambdadeck.User{Name: strings.TrimSpace(c.FormValue("name")), Email: strings.TrimSpace(c.FormValue("email")), Role: role}
	var password, hash string
	if s.auth.Mode == AuthLocal {
		password = NewPassword()
		if hash, err = HashPassword(password); err != nil {
			return err
		}
	}
	if err := s.store.CreateUser(ctx, &u, hash); err != nil {
		if code := lambdadeck.ErrorCode(err); code == lambdadeck.EINVALID || code == lambdadeck.ECONFLICT {
			return s.renderUsers(c, statusOf(code), views.UsersPage{Problem: lambdadeck.ErrorMessage(err)})
		}
		return err
	}
	s.auditAs(c, store.AuditUserCreate, u.Name, "role "+string(u.Role))
	return s.renderUsers(c, http.StatusCreated, views.UsersPage{Notice: fmt.Sprintf("Account %s added as %s.", u.Name, roleName(u.Role)),
		NewPassword: password, NewPasswordFor: u.Name})
}

// userFromPath reads :id.
func (s *Server) userFromPath(c echo.Context) (lambdadeck.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "There is no account %q.", c.Param("id"))
	}
	return s.store.User(c.Request().Context(), id)
}

// setUserRole is POST /admin/users/:id/role.
func (s *Server) setUserRole(c echo.Context) error {
	u, err := s.userFromPath(c)
	if err != nil {
		return err
	}
	role, err := lambdadeck.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.renderUsers(c, http.StatusBadRequest, views.UsersPage{Problem: lambdadeck.ErrorMessage(err)})
	}
	if p := principalOf(c); p.UserID == u.ID && role != lambdadeck.RoleAdmin {
		return s.renderUsers(c, http.StatusBadRequest, views.UsersPage{Problem: "You cannot take the admin role from yourself: ask another admin."})
	}
	if err := s.store.SetUserRole(c.Request().Context(), u.ID, role); err != nil {
		return err
	}
	s.auditAs(c, store.AuditUserRole, u.Name, fmt.Sprintf("%s -> %s", u.Role, role))
	return s.renderUsers(c, http.StatusOK, views.UsersPage{Notice: fmt.Sprintf("%s is now %s.", u.Name, roleName(role))})
}

// setUserDisabled is POST /admin/users/:id/disable (disabled=yes|no). A
// disabled account's sessions end at once.
func (s *Server) setUserDisabled(c echo.Context) error {
	ctx := c.Request().Context()
	u, err := s.userFromPath(c)
	if err != nil {
		return err
	}
	var disabled bool
	switch c.FormValue("disabled") {
	case "yes":
		disabled = true
	case "no":
	default:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "disabled must be yes or no.")
	}
	if p := principalOf(c); p.UserID == u.ID && disabled {
		return s.renderUsers(c, http.StatusBadRequest, views.UsersPage{Problem: "You cannot disable your own account."})
	}
	if err := s.store.SetUserDisabled(ctx, u.ID, disabled); err != nil {
		return err
	}
	action, notice := store.AuditUserEnable, u.Name+" is enabled again."
	if disabled {
		if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		action, notice = store.AuditUserDisable, u.Name+" is disabled and signed out."
	}
	s.auditAs(c, action, u.Name, "")
	return s.renderUsers(c, http.StatusOK, views.UsersPage{Notice: notice})
}

// resetUserPassword is POST /admin/users/:id/password: a new one-time
// password, shown once; the account's sessions end.
func (s *Server) resetUserPassword(c echo.Context) error {
	ctx := c.Request().Context()
	if s.auth.Mode != AuthLocal {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "Accounts have passwords only with --auth local.")
	}
	u, err := s.userFromPath(c)
	if err != nil {
		return err
	}
	password := NewPassword()
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := s.store.SetUserPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	s.auditAs(c, store.AuditUserPassword, u.Name, "one-time password issued, sessions ended")
	return s.renderUsers(c, http.StatusOK, views.UsersPage{Notice: u.Name + "'s password is reset.", NewPassword: password, NewPasswordFor: u.Name})
}

// auditPage is GET /admin/audit?actor=&action=&target=&before=.
func (s *Server) auditPage(c echo.Context) error {
	f := store.AuditFilter{Actor: strings.TrimSpace(c.QueryParam("actor")), Action: strings.TrimSpace(c.QueryParam("action")),
		Target: strings.TrimSpace(c.QueryParam("target")), Limit: 100}
	if b := c.QueryParam("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "before must be a positive entry number, not %q.", b)
		}
		f.Before = n
	}
	entries, err := s.store.AuditEntries(c.Request().Context(), f)
	if err != nil {
		return err
	}
	model := views.AuditPage{Page: s.page(c, "Audit log", ""), Actor: f.Actor, Action: f.Action, Target: f.Target}
	for _, e := range entries {
		model.Rows = append(model.Rows, views.AuditRow{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
			Detail: e.Detail, Client: e.Client})
	}
	if len(entries) == f.Limit {
		model.NextBefore = entries[len(entries)-1].ID
	}
	return render(c, http.StatusOK, views.Audit(model))
}

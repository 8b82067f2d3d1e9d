package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// settingsPage shows the retention limits: the saved ones in a form, the
// command line's where it sets one (it wins), and the database's size.
func (s *Server) settingsPage(c echo.Context) error {
	if err := checkQuery(c, "saved"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	stored, err := s.store.StoredRetention(ctx)
	if err != nil {
		return err
	}
	return s.renderSettings(c, http.StatusOK, retentionForm(stored), c.QueryParam("saved") == "1", "")
}

// retentionForm is the saved limits as the form's text.
func retentionForm(r store.Retention) map[string]string {
	form := map[string]string{"keep": "", "keep_invocations": "", "keep_bytes": ""}
	if r.MaxAge > 0 {
		form["keep"] = store.FormatAge(r.MaxAge)
	}
	if r.MaxInvocations > 0 {
		form["keep_invocations"] = strconv.Itoa(r.MaxInvocations)
	}
	if r.MaxBytes > 0 {
		form["keep_bytes"] = store.FormatBytes(r.MaxBytes)
	}
	return form
}

func (s *Server) renderSettings(c echo.Context, status int, form map[string]string, saved bool, problem string) error {
	ctx := c.Request().Context()
	effective, err := s.store.EffectiveRetention(ctx, s.retention)
	if err != nil {
		return err
	}
	flags := retentionForm(s.retention)
	p := views.SettingsPage{
		Page:      s.page(c, "Settings", "settings"),
		Effective: effective.String(),
		Saved:     saved,
		Error:     problem,
		Database:  s.databaseInfo(ctx),
	}
	for _, f := range []struct{ name, label, hint, flag string }{
		{"keep", "Keep invocations for", "30d, 12h, 2w", "--keep"},
		{"keep_invocations", "Keep at most this many invocations", "1000000, 1M", "--keep-invocations"},
		{"keep_bytes", "Keep the database under", "5GB, 500MB", "--keep-bytes"},
	} {
		field := views.RetentionField{Name: f.name, Label: f.label, Hint: f.hint, Value: form[f.name]}
		if v := flags[f.name]; v != "" {
			field.Flag = f.flag + " " + v
		}
		p.Fields = append(p.Fields, field)
	}
	return render(c, status, views.Settings(p))
}

// saveSettings saves the retention limits posted by the settings form; a
// malformed one answers the form again, as typed, with the reason.
func (s *Server) saveSettings(c echo.Context) error {
	form := map[string]string{
		"keep":             c.FormValue("keep"),
		"keep_invocations": c.FormValue("keep_invocations"),
		"keep_bytes":       c.FormValue("keep_bytes"),
	}
	var r store.Retention
	var err error
	if r.MaxAge, err = store.ParseAge(form["keep"]); err == nil {
		if r.MaxInvocations, err = store.ParseCount(form["keep_invocations"]); err == nil {
			r.MaxBytes, err = store.ParseBytes(form["keep_bytes"])
		}
	}
	if err != nil {
		return s.renderSettings(c, http.StatusBadRequest, form, false, lambdadeck.ErrorMessage(err))
	}
	if err := s.store.SetStoredRetention(c.Request().Context(), r); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings?saved=1")
}

// pinInvocation pins (pin true) or unpins the invocation, then goes back
// to its permalink.
func (s *Server) pinInvocation(pin bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param("requestId")
		if err := s.store.PinInvocation(c.Request().Context(), id, pin); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/invocations/"+url.PathEscape(id))
	}
}

// databaseInfo is the database's size and oldest invocation for pages; a
// failure to read it shows as unknown rather than failing the page.
func (s *Server) databaseInfo(ctx context.Context) views.DatabaseInfo {
	info, err := s.store.Info(ctx)
	if err != nil {
		s.logger.Warn("database info", "err", err)
	}
	return views.DatabaseInfo{FileBytes: info.FileBytes, WALBytes: info.WALBytes, OldestAt: info.OldestAt, Reclaims: info.Reclaims}
}

// databaseReport is the database part of /healthz.
type databaseReport struct {
	SizeBytes    int64  `json:"sizeBytes"`
	WALBytes     int64  `json:"walBytes"`
	OldestKeptAt string `json:"oldestKeptAt,omitempty"` // RFC 3339; absent with no invocation
	Reclaims     bool   `json:"reclaimsSpace"`
	Retention    string `json:"retention"`
}

func (s *Server) databaseHealth(ctx context.Context) databaseReport {
	info := s.databaseInfo(ctx)
	r := databaseReport{SizeBytes: info.FileBytes, WALBytes: info.WALBytes, Reclaims: info.Reclaims}
	if !info.OldestAt.IsZero() {
		r.OldestKeptAt = info.OldestAt.Format(time.RFC3339)
	}
	if eff, err := s.store.EffectiveRetention(ctx, s.retention); err == nil {
		r.Retention = eff.String()
	}
	return r
}

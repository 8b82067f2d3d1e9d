package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthTimeout bounds the store check, so a wedged database makes the
// health check fail rather than hang.
const healthTimeout = 2 * time.Second

// healthReport is the JSON body of /healthz.
type healthReport struct {
	Status    string `json:"status"`
	Store     string `json:"store"`
	Functions int    `json:"functions"`
	Version   string `json:"version"`
}

// health answers 200 when the store answers a ping, else 503 with the reason.
func (s *Server) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), healthTimeout)
	defer cancel()
	report := healthReport{Status: "ok", Store: "ok", Functions: len(s.invoker.Functions()), Version: s.version}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Error("health check: store unreachable", "err", err)
		report.Status, report.Store = "unavailable", err.Error()
		status = http.StatusServiceUnavailable
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(status, report)
}

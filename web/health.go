package web

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck/invoker"
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
	// StoreFailingSince is when writes began to fail (RFC 3339); absent
	// while the store is healthy.
	StoreFailingSince string `json:"storeFailingSince,omitempty"`
	// PendingWrites counts outcomes kept in memory until the store
	// recovers.
	PendingWrites int `json:"pendingWrites"`
	// AsyncQueue is the durable queue of Event invocations, per function
	// with any accepted and not yet finished.
	AsyncQueue []queueReport `json:"asyncQueue"`
	// Database is the database file's size, its oldest kept invocation
	// and the retention in force.
	Database databaseReport `json:"database"`
}

// queueReport is one function's async queue in /healthz.
type queueReport struct {
	Function         string  `json:"function"`
	Depth            int     `json:"depth"`
	OldestAgeSeconds float64 `json:"oldestAgeSeconds"`
}

// storeHealthReporter is implemented by invokers that keep the writes a
// failing store refused (the real one does).
type storeHealthReporter interface {
	StoreHealth() invoker.StoreHealth
}

// storeProblem says why the store is failing, for /healthz and the
// dashboard's banner; "" while it works. It does not ping: a ping reads,
// and a full disk or a locked database still reads.
func (s *Server) storeProblem() (problem string, since time.Time, pending int) {
	if at, reason := s.store.WriteFailure(); reason != nil {
		problem, since = "writes to the database fail: "+reason.Error(), at
	}
	if r, ok := s.invoker.(storeHealthReporter); ok {
		h := r.StoreHealth()
		pending = h.Pending
		if h.Pending > 0 {
			problem = fmt.Sprintf("%d outcomes wait in memory because the database refuses writes (%s); they are written when it recovers",
				h.Pending, rootReason(h.Failure))
			if since.IsZero() || h.Since.Before(since) {
				since = h.Since
			}
		}
	}
	return problem, since, pending
}

// storeFailing reports whether the store's writes are failing or writes
// wait in memory for it.
func (s *Server) storeFailing() bool {
	problem, _, _ := s.storeProblem()
	return problem != ""
}

// rootReason is the innermost error's text.
func rootReason(err error) string {
	if err == nil {
		return "unknown reason"
	}
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err.Error()
		}
		err = u.Unwrap()
	}
}

// health answers 200 when the store answers a ping and its writes
// succeed, else 503 with the reason. It also reports the async queue.
func (s *Server) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), healthTimeout)
	defer cancel()
	report := healthReport{Status: "ok", Store: "ok", Functions: len(s.invoker.Functions()), Version: s.version, AsyncQueue: []queueReport{}}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Error("health check: store unreachable", "err", err)
		report.Status, report.Store = "unavailable", err.Error()
		status = http.StatusServiceUnavailable
	} else if s.store.ProbeWrite(ctx) != nil || s.storeFailing() {
		problem, since, pending := s.storeProblem()
		report.Status, report.Store = "unavailable", problem
		report.StoreFailingSince = since.Format(time.RFC3339)
		report.PendingWrites = pending
		status = http.StatusServiceUnavailable
	}
	if queues, err := s.store.QueueStats(ctx); err == nil {
		now := time.Now()
		for name, q := range queues {
			report.AsyncQueue = append(report.AsyncQueue, queueReport{Function: name, Depth: q.Depth,
				OldestAgeSeconds: now.Sub(q.Oldest).Round(time.Millisecond).Seconds()})
		}
		sort.Slice(report.AsyncQueue, func(i, j int) bool { return report.AsyncQueue[i].Function < report.AsyncQueue[j].Function })
	} else if status == http.StatusOK {
		report.Status, report.Store = "unavailable", err.Error()
		status = http.StatusServiceUnavailable
	}
	report.Database = s.databaseHealth(ctx)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(status, report)
}

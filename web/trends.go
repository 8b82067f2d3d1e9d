package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// trendRange is one of the ranges the trend pages offer: how far back and
// the bucket size.
type trendRange struct {
	span, bucket time.Duration
}

var trendRanges = map[string]trendRange{
	"1h":  {time.Hour, 5 * time.Minute},
	"24h": {24 * time.Hour, time.Hour},
	"7d":  {7 * 24 * time.Hour, 6 * time.Hour},
	"30d": {30 * 24 * time.Hour, 24 * time.Hour},
}

// trendsPanelRange is the range of the function page's panel.
const trendsPanelRange = "24h"

// functionTrends answers /functions/:name/trends?range=1h|24h|7d|30d|all
// (24h when absent).
func (s *Server) functionTrends(c echo.Context) error {
	if err := checkQuery(c, "range"); err != nil {
		return err
	}
	fn, err := s.invoker.Function(c.Param("name"))
	if err != nil {
		return err
	}
	rng := c.QueryParam("range")
	if rng == "" {
		rng = trendsPanelRange
	}
	data, err := s.trendData(c.Request().Context(), fn.Name, rng, time.Now())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.FunctionTrends(views.TrendsPage{
		Page:   s.page(c, "Trends of "+fn.Name, "functions"),
		Trends: views.NewTrendView(data, true),
	}))
}

// trendData asks the store for a function's trends over the named range
// ending now: buckets aligned on whole bucket sizes (UTC), the last one
// holding now. "all" starts at the function's first invocation, by day.
func (s *Server) trendData(ctx context.Context, function, rng string, now time.Time) (views.TrendData, error) {
	r, ok := trendRanges[rng]
	var from time.Time
	switch {
	case ok:
		from = now.Add(-r.span).Truncate(r.bucket).Add(r.bucket)
	case rng == "all":
		r.bucket = 24 * time.Hour
		oldest, any, err := s.store.OldestInvocation(ctx, function)
		if err != nil {
			return views.TrendData{}, err
		}
		if !any {
			oldest = now
		}
		from = oldest.Truncate(r.bucket)
		// At most about 200 bars: whole weeks, months... beyond that.
		for now.Sub(from)/r.bucket > 200 {
			r.bucket *= 2
		}
		from = oldest.Truncate(r.bucket)
	default:
		return views.TrendData{}, lambdadeck.Errorf(lambdadeck.EINVALID, "unknown range %q; use one of 1h, 24h, 7d, 30d, all", rng)
	}
	to := now.Truncate(r.bucket).Add(r.bucket)
	if !to.After(from) {
		to = from.Add(r.bucket)
	}
	t, err := s.store.FunctionTrends(ctx, function, from, to, r.bucket)
	if err != nil {
		return views.TrendData{}, err
	}
	d := views.TrendData{Function: function, Range: rng, From: t.From, To: t.To, Bucket: t.Bucket, Total: trendPoint(t.Total)}
	for _, b := range t.Buckets {
		d.Points = append(d.Points, trendPoint(b))
	}
	return d, nil
}

func trendPoint(b store.TrendBucket) views.TrendPoint {
	return views.TrendPoint{
		Start: b.Start, Count: b.Count, Ended: b.Ended, Errors: b.Errors, Cold: b.Cold,
		P50: b.P50, P95: b.P95, P99: b.P99, InitAvg: b.InitAvg, InitMax: b.InitMax,
		MaxMemoryUsedMB: b.MaxMemoryUsedMB, MemorySizeMB: b.MemorySizeMB,
	}
}

// errorIndexOnRequest bounds how many new rows /errors files itself before
// it answers; the background indexer does the rest.
const errorIndexOnRequest = 5000

// errorGroups answers /errors?function=: failures grouped by function,
// error type and normalised message.
func (s *Server) errorGroups(c echo.Context) error {
	ctx := c.Request().Context()
	if err := checkQuery(c, "function"); err != nil {
		return err
	}
	function := c.QueryParam("function")
	// What was recorded since the indexer last ran, so a failure just seen
	// is on the page.
	if _, err := s.store.IndexErrors(ctx, errorIndexOnRequest); err != nil {
		return err
	}
	groups, err := s.store.ErrorGroups(ctx, function)
	if err != nil {
		return err
	}
	p := views.ErrorsPage{
		Page:          s.page(c, "Errors", "errors"),
		Function:      function,
		FunctionNames: s.functionNames(function),
	}
	for _, g := range groups {
		p.Groups = append(p.Groups, views.ErrorGroupRow{
			ID: g.ID, Function: g.Function, ErrorType: g.ErrorType, Fingerprint: g.Fingerprint,
			Count: g.Count, FirstSeen: g.FirstSeen, LastSeen: g.LastSeen,
			LatestRequestID: g.LatestRequestID, LatestMessage: g.LatestMessage,
			CodeVersions: slices.Clone(g.CodeVersions), StoppedAfter: g.StoppedAfter,
		})
	}
	return render(c, http.StatusOK, views.ErrorGroups(p))
}

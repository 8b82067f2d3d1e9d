package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// liveInvoker is implemented by invokers that can start an invocation
// without waiting for it and show it while it runs (the real one does).
type liveInvoker interface {
	Start(ctx context.Context, req lambdadeck.InvokeRequest) (*invoker.Run, error)
	Live(requestID string) (invoker.LiveState, bool)
}

// liveWait is how long the invoke form waits for an invocation before it
// answers with a panel that follows it while it runs: most invocations
// finish well within it and get their result in one round trip.
const liveWait = 800 * time.Millisecond

// invokeAndRespond runs req for the browser. With htmx it answers the result
// panel (a finished one, or a live one that keeps polling while the handler
// runs); without JavaScript it redirects to the invocation's permalink.
func (s *Server) invokeAndRespond(c echo.Context, fn lambdadeck.Function, req lambdadeck.InvokeRequest) error {
	// Like Lambda, a synchronous invocation runs to its end even if the
	// caller goes away; the outcome is recorded for the permalink.
	ctx := context.WithoutCancel(c.Request().Context())
	var inv *lambdadeck.Invocation
	var err error
	if li, ok := s.invoker.(liveInvoker); ok {
		var run *invoker.Run
		run, err = li.Start(ctx, req)
		if err == nil {
			select {
			case <-run.Done():
				inv, err = run.Wait()
			case <-time.After(liveWait):
				inv, err = s.store.Invocation(ctx, run.RequestID)
			}
		}
	} else {
		inv, err = s.invoker.Invoke(ctx, req)
	}
	if err != nil {
		if lambdadeck.ErrorCode(err) == lambdadeck.ETHROTTLED {
			return lambdadeck.Errorf(lambdadeck.ETHROTTLED,
				"%s is busy: all %d of its instances are running and its queue is full (Lambda would answer TooManyRequestsException). Try again when one finishes.",
				fn.Name, fn.Concurrency)
		}
		return err
	}
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/invocations/"+url.PathEscape(inv.RequestID))
	}
	s.overlayLive(inv)
	recent, err := s.store.ListInvocations(c.Request().Context(), store.InvocationFilter{Function: fn.Name, Limit: recentLimit})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InvokeResult(*inv, recent.Items))
}

// liveBuild is the build a running invocation waits for, if any.
func (s *Server) liveBuild(inv *lambdadeck.Invocation) views.BuildLog {
	li, ok := s.invoker.(liveInvoker)
	if !ok || inv.Status.Finished() {
		return views.BuildLog{}
	}
	st, ok := li.Live(inv.RequestID)
	if !ok {
		return views.BuildLog{}
	}
	return views.BuildLog{Building: st.Building, Log: st.BuildLog}
}

// overlayLive fills a running invocation's record with what it has done so
// far: its log, and the chunks of a streamed response.
func (s *Server) overlayLive(inv *lambdadeck.Invocation) {
	if inv.Status.Finished() {
		return
	}
	li, ok := s.invoker.(liveInvoker)
	if !ok {
		return
	}
	st, ok := li.Live(inv.RequestID)
	if !ok {
		return
	}
	inv.Logs = st.Logs
	if st.Streaming {
		inv.Payload = st.Body
		inv.Chunks = st.Chunks
	}
}

package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/views"
)

// statusOf maps lambdadeck's error codes to HTTP statuses, in this one place.
func statusOf(code string) int {
	switch code {
	case lambdadeck.EINVALID:
		return http.StatusBadRequest
	case lambdadeck.ENOTFOUND:
		return http.StatusNotFound
	case lambdadeck.ECONFLICT:
		return http.StatusConflict
	case lambdadeck.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case lambdadeck.ETHROTTLED:
		return http.StatusTooManyRequests
	case lambdadeck.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case lambdadeck.EFORBIDDEN:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// describeError returns the status and the user-safe message for err.
// Anything that is not a lambdadeck error or an Echo HTTP error is internal:
// its text is logged, never shown.
func describeError(err error) (int, string) {
	var httpErr *echo.HTTPError
	var tooLarge *http.MaxBytesError
	var domainErr *lambdadeck.Error
	switch {
	case errors.As(err, &domainErr):
		return statusOf(domainErr.Code), domainErr.Message
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is over lambdadeck's %d MB limit.", tooLarge.Limit>>20)
	case errors.As(err, &httpErr):
		switch httpErr.Code {
		case http.StatusNotFound:
			return http.StatusNotFound, "There is no page at this address."
		case http.StatusMethodNotAllowed:
			return http.StatusMethodNotAllowed, "This address does not accept that method."
		}
		if msg, ok := httpErr.Message.(string); ok && httpErr.Code < 500 {
			return httpErr.Code, msg
		}
		return httpErr.Code, http.StatusText(httpErr.Code)
	}
	return http.StatusInternalServerError, lambdadeck.ErrorMessage(err)
}

// handleError is Echo's HTTPErrorHandler: it answers every failed request
// with a status from describeError and an HTML error page, or an error
// fragment for htmx to swap into the result panel. Only 5xx are logged:
// the rest are the user's mistakes, already explained to them.
func (s *Server) handleError(err error, c echo.Context) {
	if isLambdaAPIPath(c.Request().URL.Path) {
		s.handleAPIError(err, c)
		return
	}
	status, message := describeError(err)
	req := c.Request()
	if status >= 500 {
		s.logger.Error("request failed", "method", req.Method, "path", req.URL.Path, "status", status, "err", err)
	}
	if c.Response().Committed {
		return
	}
	// htmx requests get a fragment, others a page, from the same URL.
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	heading := http.StatusText(status)
	if status == http.StatusTooManyRequests {
		heading = "Throttled"
	}
	var renderErr error
	switch {
	case req.Method == http.MethodHead:
		renderErr = c.NoContent(status)
	case isHTMX(c):
		renderErr = render(c, status, views.ErrorFragment(status, heading, message))
	default:
		page := views.ErrorPage{Page: s.page(c, heading, ""), Status: status, Heading: heading, Message: message}
		renderErr = render(c, status, views.ErrorDetail(page))
	}
	if renderErr != nil {
		s.logger.Error("render error page", "path", req.URL.Path, "err", renderErr)
		_ = c.String(status, message)
	}
}

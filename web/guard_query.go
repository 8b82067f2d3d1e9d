package web

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
)

// checkQuery refuses query parameters a page does not take, naming them
// and the ones it does: a mistyped one (cursor= for before=) would
// otherwise be ignored and the page answered as if it had not been sent.
func checkQuery(c echo.Context, known ...string) error {
	var unknown []string
	for name := range c.QueryParams() {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return lambdadeck.Errorf(lambdadeck.EINVALID, "unknown query parameter %s; %s takes %s",
		strings.Join(unknown, ", "), c.Request().URL.Path, strings.Join(known, ", "))
}

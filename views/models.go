// Package views holds lambdadeck's templ components and the view models they
// render. Views never see Echo, the store or the invoker: the web layer builds
// a view model and hands it over, already shaped for display (secrets masked,
// lists sorted).
package views

import (
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// AssetURLs gives the content-hashed URL of an embedded asset by its logical
// name ("css/app.css"). *static.Assets satisfies it.
type AssetURLs interface {
	URL(name string) string
}

// Page carries what every full page needs.
type Page struct {
	Title     string
	Nav       string // which top-level section is current: "functions", "invocations", "fixtures" or "tests"
	CSRFToken string // echoed in the hidden _csrf field of every form
	Assets    AssetURLs
	Version   string
	// RefreshSeconds, when set, reloads the page that often in browsers
	// without JavaScript (a running invocation's permalink); with
	// JavaScript the page updates itself.
	RefreshSeconds int
}

// FunctionRow is one line of the dashboard's function table.
type FunctionRow struct {
	Name            string
	Runtime         string
	Handler         string
	NotRunnable     string // why it cannot run here; empty when it can
	RuntimeWarning  string // the local interpreter's version differs from the declared runtime
	Count           int
	LastStatus      lambdadeck.Status // empty when never invoked
	LastAt          time.Time
	LastRequestID   string
	TypicalDuration time.Duration
}

// Dashboard is the home page.
type Dashboard struct {
	Page
	TemplatePath string
	Warnings     []string
	Functions    []FunctionRow
	Recent       []lambdadeck.Invocation
}

// EnvVar is one environment variable for display; Value is already masked
// when Masked is set, so a secret never reaches a template.
type EnvVar struct {
	Name   string
	Value  string
	Masked bool
}

// InvokeForm is the content of an invoke form: the event editor and the
// advanced overrides, as text.
type InvokeForm struct {
	Event               string
	Env                 string // KEY=VALUE lines
	ClientContext       string // JSON, empty for none
	CognitoIdentityID   string
	CognitoIdentityPool string
	// Environments are offered for {{variables}} in the event (none: the
	// select is left out).
	Environments []EnvironmentOption
}

// FunctionPage is the page of one function: configuration, event editor,
// result panel and recent invocations.
type FunctionPage struct {
	Page
	Function lambdadeck.Function
	// LocalRuntime says which local executable serves the runtime;
	// RuntimeWarning is set when its version is not the declared one.
	LocalRuntime   string
	RuntimeWarning string
	// ReloadedAt is when lambdadeck last saw the function's code or
	// configuration change and retired its instances; zero if never.
	ReloadedAt time.Time
	Env        []EnvVar
	Form       InvokeForm
	// FromRequestID names the invocation the form was prefilled from, if any.
	FromRequestID string
	// Picker offers the function's and the shared fixtures beside the
	// editor; Picker.Selected is the one loaded into it, if any.
	Picker FixturePicker
	Recent []lambdadeck.Invocation
}

// InvocationFilter is the history's filter form, as query parameters.
type InvocationFilter struct {
	Function string
	Status   string
	Source   string
	Query    string
}

// InvocationList is the history page.
type InvocationList struct {
	Page
	Filter        InvocationFilter
	FunctionNames []string
	Items         []lambdadeck.Invocation
	Total         int
	OlderURL      string // link to the next (older) page; empty on the last page
	NewestURL     string // link back to the first page; empty on the first page
}

// InvocationPage is the permalink of one invocation.
type InvocationPage struct {
	Page
	Invocation lambdadeck.Invocation
	// Env is the invocation's environment overrides for display (masked).
	Env []EnvVar
	// RunAgain re-sends the same event and overrides.
	RunAgain InvokeForm
}

// ErrorPage is shown for any failed request.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}

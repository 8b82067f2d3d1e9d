// Package views holds lambdadeck's templ components and the view models they
// render. Views never see Echo, the store or the invoker: the web layer builds
// a view model and hands it over, already shaped for display (secrets masked,
// lists sorted).
package views

import (
	"hash/fnv"
	"net/url"
	"strconv"
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
	// StoreProblem says why lambdadeck's database is failing, shown as a
	// banner on every page until it recovers; empty while it works.
	StoreProblem string
	// Who is signed in and what they may do. In laptop mode the local
	// user, with every role; Team shows the account menu.
	Principal lambdadeck.Principal
	Team      bool
	// Open is --auth none on a network: a permanent warning on every page.
	Open bool
}

// Can reports whether the page's viewer has role need: pages show only
// the buttons and forms their role may use.
func (p Page) Can(need lambdadeck.Role) bool { return p.Principal.Can(need) }

// FunctionRow is one line of the dashboard's function table.
type FunctionRow struct {
	Name            string
	Runtime         string
	Handler         string
	NotRunnable     string // why it cannot run here; empty when it can
	RuntimeWarning  string // the local interpreter's version differs from the declared runtime
	LocalVersion    string // the local interpreter's version, e.g. 3.11.7
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
	Database     DatabaseInfo
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
	// EventFrom names an invocation whose event is too large to carry in
	// the page (over HeadBytes, EventFromSize bytes): the form sends its
	// request id and the server takes the event from the store, unless an
	// event is typed instead.
	EventFrom     string
	EventFromSize int64
	// Environments are offered for {{variables}} in the event (none: the
	// select is left out).
	Environments []EnvironmentOption
	// NoOverrides leaves out the environment overrides: the viewer's role
	// (runner) may invoke but not change what runs.
	NoOverrides bool
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
	// FormError is the mistake in the form as posted (without JavaScript),
	// shown in the result panel; empty otherwise.
	FormError string
	// FromRequestID names the invocation the form was prefilled from, if any.
	FromRequestID string
	// Picker offers the function's and the shared fixtures beside the
	// editor; Picker.Selected is the one loaded into it, if any.
	Picker FixturePicker
	Recent []lambdadeck.Invocation
	// Queue is the function's durable async queue now.
	Queue AsyncQueue
	// Routes are the HTTP front door's routes to this function.
	Routes []RouteRow
	// Trends are the function's last 24 hours, drawn.
	Trends TrendView
}

// AsyncQueue is one function's queue of accepted Event invocations not yet
// finished.
type AsyncQueue struct {
	Depth     int
	OldestAge time.Duration // how long the oldest has waited; 0 when empty
}

// AttemptLink is one attempt of an Event invocation, on the permalink.
type AttemptLink struct {
	RequestID string
	Attempt   int
	Status    lambdadeck.Status
}

// InvocationFilter is the history's filter form, as query parameters.
type InvocationFilter struct {
	Function string
	Status   string
	Source   string
	Query    string
	// Group is an error group's id (from /errors), Pinned "1" for pinned
	// invocations only, From and To a start time range as typed
	// (2006-01-02T15:04, UTC); empty for none.
	Group    string
	Pinned   string
	From, To string
	Code     string // a code version's key (lambdadeck.CodeVersion.Key)
}

// Live reports whether the first page of f can keep itself current: the
// live feed polls with the function, status and source filters only (a
// text search reads every event and is not worth repeating).
func (f InvocationFilter) Live() bool {
	return f.Query == "" && f.Group == "" && f.Pinned == "" && f.From == "" && f.To == ""
}

// InvocationList is the history page.
type InvocationList struct {
	Page
	Filter        InvocationFilter
	FunctionNames []string
	Items         []lambdadeck.Invocation
	// TotalEstimated says Total is an estimate ("about N"): a text search
	// matching much of the history is not counted row by row.
	TotalEstimated bool
	Total          int
	OlderURL       string // link to the next (older) page; empty on the last page
	NewestURL      string // link back to the first page; empty on the first page
	PageSize       int    // rows per page, which the first page's live table keeps
	ExportURL      string // this page of the history as a bundle
}

// RecentLimit is how many invocations the dashboard and a function page
// list.
const RecentLimit = 10

// InvocationPage is the permalink of one invocation.
type InvocationPage struct {
	Page
	Invocation lambdadeck.Invocation
	// Env is the invocation's environment overrides for display (masked).
	Env []EnvVar
	// RunAgain re-sends the same event and overrides.
	RunAgain InvokeForm
	// Attempts are every attempt of the Event invocation this one belongs
	// to, in order; nil for a synchronous invocation.
	Attempts []AttemptLink
	// Sizes are the whole sizes of the event, response and log, of which
	// Invocation may hold only the first HeadBytes.
	Sizes PartSizes
	// Build is the function's build while it runs for this invocation's
	// cold start.
	Build BuildLog
	// CopyAs are the commands that reproduce the run.
	CopyAs CopyAs
	// Pinned says a user pinned it: retention keeps it.
	Pinned bool
}

// BuildLog is a function's build as a running invocation waits for it.
type BuildLog struct {
	Building bool   // the build is under way
	Log      string // its steps and output so far
}

// ErrorPage is shown for any failed request.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}

// LiveTable is a table of the newest invocations that polls PollURL (the
// feed, with the fingerprint of these rows) to stay current.
type LiveTable struct {
	Items        []lambdadeck.Invocation
	ShowFunction bool
	Fingerprint  string // identifies the rows and their states
	PollURL      string
	EmptyText    string // what the table says while no row matches
	// Selectable adds the history's compare checkboxes.
	Selectable bool
}

// selectable is t with compare checkboxes, which its polls keep.
func selectable(t LiveTable) LiveTable {
	t.Selectable = true
	t.PollURL += "&select=1"
	return t
}

// Selectable is selectable for the feed, which rebuilds a history's table.
func Selectable(t LiveTable) LiveTable { return selectable(t) }

// noInvocationsYet is what an unfiltered table of invocations says while
// there are none.
const noInvocationsYet = "No invocations yet."

// emptyTableText is what a table of invocations says when none match: the
// history (the one table that shows the function column and takes filters)
// must not say "yet" when it is the filters that match nothing.
func emptyTableText(f InvocationFilter, showFunction bool) string {
	if showFunction && f != (InvocationFilter{}) {
		return "No invocations match these filters."
	}
	return noInvocationsYet
}

// NewLiveTable is the live table of the newest limit invocations that
// match f.
func NewLiveTable(items []lambdadeck.Invocation, f InvocationFilter, limit int, showFunction bool) LiveTable {
	t := LiveTable{Items: items, ShowFunction: showFunction, Fingerprint: fingerprint(items), EmptyText: emptyTableText(f, showFunction)}
	q := url.Values{}
	for k, v := range map[string]string{"function": f.Function, "status": f.Status, "source": f.Source, "q": f.Query, "code": f.Code} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", strconv.Itoa(limit))
	if !showFunction {
		q.Set("fn", "0")
	}
	q.Set("v", t.Fingerprint)
	t.PollURL = "/invocations/feed?" + q.Encode()
	return t
}

// fingerprint identifies what a table shows: which invocations, in which
// state. A new invocation, or one that finished, changes it.
func fingerprint(items []lambdadeck.Invocation) string {
	h := fnv.New64a()
	for _, inv := range items {
		h.Write([]byte(inv.RequestID))
		h.Write([]byte(inv.Status))
		if inv.Expectation != nil {
			h.Write([]byte(strconv.FormatBool(inv.Expectation.Passed)))
		}
		if inv.HTTP != nil {
			h.Write([]byte(strconv.Itoa(inv.HTTP.Status)))
		}
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

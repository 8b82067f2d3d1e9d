// Package lambdadeck holds the domain vocabulary shared by every part of
// lambdadeck: functions loaded from a template, invocations and their
// outcomes, and the small closed set of error codes that the web layer maps to
// HTTP statuses in one place. It depends on nothing but the standard library.
package lambdadeck

import (
	"context"
	"encoding/json"
	"time"
)

// Lambda's limits, as the reference gives them.
const (
	// MaxSyncPayload is the largest synchronous request payload Lambda accepts:
	// "Request must be smaller than 6291456 bytes".
	MaxSyncPayload = 6 * 1024 * 1024
	// MaxAsyncPayload is the largest asynchronous (Event) request payload.
	MaxAsyncPayload = 1024 * 1024
	// MaxResponsePayload is the largest response a runtime may post
	// (6 MiB + 100 bytes, RIE's MaxPayloadSize).
	MaxResponsePayload = 6*1024*1024 + 100

	DefaultTimeout     = 3 * time.Second
	DefaultMemoryMB    = 128
	DefaultConcurrency = 10
	DefaultRegion      = "us-east-1"
	DefaultAccountID   = "123456789012"
	LatestVersion      = "$LATEST"
)

// Function is one Lambda function as configured in a template.
type Function struct {
	Name         string            // FunctionName when a plain string, else the logical ID
	LogicalID    string            // the resource's logical ID in the template
	Runtime      string            // e.g. nodejs20.x, python3.12, provided.al2023
	Handler      string            // e.g. index.handler, src/app.handler
	CodeDir      string            // absolute path of CodeUri
	Environment  map[string]string // Environment.Variables, after Globals
	Timeout      time.Duration     // Timeout (default 3 s)
	MemoryMB     int               // MemorySize (default 128)
	Architecture string            // x86_64 or arm64
	LogFormat    string            // LoggingConfig.LogFormat: Text or JSON
	LogLevel     string            // LoggingConfig.ApplicationLogLevel
	BuildMethod  string            // Metadata.BuildMethod (go1.x, makefile, ...)
	PackageType  string            // Image for container image functions; empty (Zip) otherwise
	Concurrency  int               // ReservedConcurrentExecutions, else DefaultConcurrency
	Description  string
	// NotRunnable says why lambdadeck cannot run this function here (image
	// package, inline code, missing runtime); empty when it can.
	NotRunnable string

	// BuildProperties is Metadata.BuildProperties as the template gives it
	// (esbuild's EntryPoints, Format, Target, Minify, Sourcemap, External...).
	BuildProperties map[string]any
	// Layers are the function's layers (Layers, after Globals), in the
	// order Lambda extracts them into /opt.
	Layers []Layer
	// FileSystems are the function's FileSystemConfigs (EFS, S3 Files).
	FileSystems []FileSystem
	// EventInvoke is the function's EventInvokeConfig: how Event
	// invocations are retried and where their outcomes are sent.
	EventInvoke EventInvokeConfig
	// Region is the AWS Region the function runs in here (--region, else
	// the profile's, else DefaultRegion); empty means DefaultRegion.
	Region string
}

// Layer is one Lambda layer of a function.
type Layer struct {
	LogicalID string // the LayerVersion resource in the template; empty for a layer given by ARN
	Name      string // LayerName, else the logical ID, else the ARN
	ARN       string // the layer's ARN when the template names it by ARN
	// ContentDir is the absolute folder of the layer's content (ContentUri,
	// or the folder --layer-dir supplies for an ARN); empty when the layer
	// is not available locally.
	ContentDir         string
	BuildMethod        string         // Metadata.BuildMethod (nodejs20.x, python3.12, makefile, ...)
	BuildProperties    map[string]any // Metadata.BuildProperties
	CompatibleRuntimes []string
}

// FileSystem is one FileSystemConfigs entry: a file system mounted at
// LocalMountPath (under /mnt on Lambda).
type FileSystem struct {
	ARN            string // the access point's ARN, as written (it may be unresolved)
	LocalMountPath string // e.g. /mnt/lambda
	// LocalDir is the local folder that serves the mount (--mount); empty
	// when none was given.
	LocalDir string
}

// EventInvokeConfig is a function's EventInvokeConfig (reference: Lambda's
// asynchronous invocation). Nil pointers mean Lambda's defaults.
type EventInvokeConfig struct {
	// MaximumRetryAttempts is 0 to 2; nil is Lambda's default of 2.
	MaximumRetryAttempts *int
	// MaximumEventAge is 60 s to 6 h; zero is Lambda's default of 6 h.
	MaximumEventAge time.Duration
	OnSuccess       Destination // DestinationConfig.OnSuccess
	OnFailure       Destination // DestinationConfig.OnFailure
	DeadLetter      Destination // DeadLetterQueue (SQS or SNS)
}

// DefaultMaxRetryAttempts and DefaultMaxEventAge are Lambda's defaults for
// Event invocations.
const (
	DefaultMaxRetryAttempts = 2
	DefaultMaxEventAge      = 6 * time.Hour
)

// RetryAttempts is MaximumRetryAttempts, or Lambda's default of 2.
func (c EventInvokeConfig) RetryAttempts() int {
	if c.MaximumRetryAttempts == nil {
		return DefaultMaxRetryAttempts
	}
	return *c.MaximumRetryAttempts
}

// MaxAge is MaximumEventAge, or Lambda's default of 6 hours.
func (c EventInvokeConfig) MaxAge() time.Duration {
	if c.MaximumEventAge <= 0 {
		return DefaultMaxEventAge
	}
	return c.MaximumEventAge
}

// Destination is where Lambda sends an asynchronous invocation's record.
type Destination struct {
	Type   string // Lambda, SQS, SNS, EventBridge or S3; empty for none
	Target string // the function's name when Type is Lambda and it is in the template, else the ARN as written
}

// Runnable reports whether lambdadeck can run the function.
func (f Function) Runnable() bool { return f.NotRunnable == "" }

// ARN is the unqualified function ARN lambdadeck presents to handlers and
// API clients.
func (f Function) ARN() string {
	return "arn:aws:lambda:" + f.AWSRegion() + ":" + DefaultAccountID + ":function:" + f.Name
}

// AWSRegion is the function's Region, or DefaultRegion when none is set.
func (f Function) AWSRegion() string {
	if f.Region == "" {
		return DefaultRegion
	}
	return f.Region
}

// Status is where an invocation stands.
type Status string

const (
	StatusQueued      Status = "queued"      // accepted (async), not yet started
	StatusRunning     Status = "running"     // the event was handed to an instance
	StatusSucceeded   Status = "succeeded"   // the handler returned a response
	StatusFailed      Status = "failed"      // the handler or runtime reported an error
	StatusTimedOut    Status = "timed_out"   // the deadline passed; the instance was killed
	StatusCrashed     Status = "crashed"     // the runtime process died (exit, signal, out of memory)
	StatusInterrupted Status = "interrupted" // lambdadeck stopped while it was running
)

// Statuses lists every status, in the order filters show them.
var Statuses = []Status{StatusSucceeded, StatusFailed, StatusTimedOut, StatusCrashed, StatusRunning, StatusQueued, StatusInterrupted}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Finished reports whether the invocation has reached a final status.
func (s Status) Finished() bool {
	return s != StatusQueued && s != StatusRunning
}

// Source says where an invocation came from.
type Source string

const (
	SourceBrowser Source = "browser"
	SourceCLI     Source = "cli"
	SourceAPI     Source = "api"
	SourceTest    Source = "test"
	// SourceHTTP is a request to the HTTP front door (API Gateway or a
	// Function URL, emulated).
	SourceHTTP Source = "http"
)

// CognitoIdentity is the identity passed to a handler (context.identity).
type CognitoIdentity struct {
	CognitoIdentityID     string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID string `json:"cognitoIdentityPoolId"`
}

// InvokeRequest is what every entry point (browser form, CLI, Invoke API)
// builds to run a function once.
type InvokeRequest struct {
	Function string
	Event    []byte // the event, JSON
	// ClientContext is the decoded client context JSON (the Invoke API takes it
	// base64-encoded); empty for none.
	ClientContext []byte
	Identity      *CognitoIdentity
	Env           map[string]string // per-invocation environment overrides
	Source        Source
	UserAgent     string
	FixtureID     int64 // the fixture the event came from, 0 for none
	// Async asks for an Event invocation: the record is written as queued and
	// the call returns at once; the outcome is recorded when it completes.
	Async bool
}

// QueuedEvent is an Event invocation in lambdadeck's durable async queue.
type QueuedEvent struct {
	RequestID  string // the id the 202 answered with; the first attempt's
	Function   string
	AcceptedAt time.Time
	NextAt     time.Time // when it may next be dispatched
	Dispatches int       // attempts started so far
	Failures   int       // attempts that ended in a function error and were retried
	// CurrentRequestID is the request id of the latest attempt; empty
	// before the first.
	CurrentRequestID string
	Source           Source
	UserAgent        string
	FixtureID        int64
	Identity         json.RawMessage
	Env              map[string]string
	Event            json.RawMessage
}

// Conditions of a finished Event invocation, as Lambda's invocation record
// (requestContext.condition) names them.
const (
	ConditionSuccess          = "Success"
	ConditionRetriesExhausted = "RetriesExhausted"
	ConditionEventAgeExceeded = "EventAgeExceeded"
)

// FunctionError is the error a handler or the runtime reported, parsed from
// the error payload.
type FunctionError struct {
	Type    string   `json:"errorType"`
	Message string   `json:"errorMessage"`
	Stack   []string `json:"stack,omitempty"`
}

// Invocation is one run of a function, as recorded in the history.
type Invocation struct {
	ID        int64 // store row id; 0 until stored
	RequestID string
	Function  string
	Source    Source
	UserAgent string
	FixtureID int64

	Event         json.RawMessage
	Context       json.RawMessage // the context object as passed to the handler
	ClientContext json.RawMessage
	Identity      json.RawMessage
	EnvOverrides  map[string]string

	// Payload is what the caller receives: the response body the runtime
	// posted, or the error JSON when the invocation failed.
	Payload     []byte
	ContentType string
	Error       *FunctionError // nil when the invocation succeeded

	// Chunks are the pieces of a streamed response (response streaming
	// handlers), with when each arrived; nil for a buffered response.
	Chunks []Chunk

	Logs          string
	LogsTruncated bool

	Status          Status
	Cold            bool
	InitDuration    time.Duration
	Duration        time.Duration
	BilledDuration  time.Duration
	MemorySizeMB    int
	MaxMemoryUsedMB int
	OutOfMemory     bool

	StartedAt time.Time
	EndedAt   time.Time

	// Expectation is the verdict of the fixture's expectation on this
	// invocation; nil when none was evaluated.
	Expectation *ExpectationResult

	// Async is set when this is one attempt of an Event invocation; nil
	// for a synchronous one.
	Async *AsyncAttempt
	// HTTP is the HTTP request and response of an invocation through the
	// front door (SourceHTTP); nil otherwise, and while it runs.
	HTTP *HTTPExchange

	// Config is the function's configuration the invocation ran with, and
	// Code the version of its code; nil when not recorded (invocations
	// from before lambdadeck recorded them).
	Config *RunConfig
	Code   *CodeVersion
	// Imported says where an invocation brought in from another
	// lambdadeck's export came from; nil for one that ran here.
	Imported *ImportOrigin
}

// RunConfig is a snapshot of a function's configuration as one invocation
// ran with it. Environment variables are kept by name, with one hash of
// all their values: never the values themselves, which may be secrets.
type RunConfig struct {
	Runtime      string        `json:"runtime"`
	Handler      string        `json:"handler"`
	MemoryMB     int           `json:"memoryMB"`
	Timeout      time.Duration `json:"timeout"`
	Architecture string        `json:"architecture"`
	EnvNames     []string      `json:"envNames,omitempty"` // sorted
	// EnvHash is the hex SHA-256 of the sorted name=value pairs; empty
	// when there are none.
	EnvHash string `json:"envHash,omitempty"`
	// Interpreter is the local interpreter that ran it, e.g. "node v20.20.2";
	// empty for Go and custom runtimes.
	Interpreter string `json:"interpreter,omitempty"`
}

// CodeVersion is the version of a function's code folder (CodeUri) when an
// invocation ran.
type CodeVersion struct {
	// Commit is the git commit checked out in the folder's repository;
	// empty when the folder is not in git.
	Commit string `json:"commit,omitempty"`
	// Dirty says the folder had changes not committed.
	Dirty bool `json:"dirty,omitempty"`
	// ContentHash is the hex SHA-256 of the folder's files (names and
	// contents, without dependencies and caches), taken when the folder is
	// not in git or is dirty: two runs with the same hash ran the same code.
	ContentHash string `json:"contentHash,omitempty"`
}

// Key is a short stable name of the version for filters and links: the
// commit's first 12 characters, "+dirty" and the content hash's first 12 when
// set.
func (v *CodeVersion) Key() string {
	if v == nil {
		return ""
	}
	k := short(v.Commit)
	if v.Dirty {
		k += "+dirty"
	}
	if v.ContentHash != "" {
		if k != "" {
			k += "."
		}
		k += short(v.ContentHash)
	}
	return k
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// ImportOrigin says where an imported invocation came from.
type ImportOrigin struct {
	Server     string    `json:"server"` // the exporting lambdadeck's name, URL or host
	ExportedAt time.Time `json:"exportedAt"`
	ImportedAt time.Time `json:"importedAt"`
}

// LambdaRequestID is the request id the handler sees (in its context, its
// logs' START/END/REPORT lines and error messages). Each attempt of an Event
// invocation is its own record with its own RequestID, but Lambda runs every
// retry of an event with the request id of the first attempt (the one the
// 202 answered with), which is what idempotency checks key on.
func (inv *Invocation) LambdaRequestID() string {
	if inv.Async != nil && inv.Async.EventID != "" {
		return inv.Async.EventID
	}
	return inv.RequestID
}

// AsyncAttempt places one invocation among the attempts of an Event
// invocation: Lambda runs an accepted event, and retries it on a function
// error, from its durable queue.
type AsyncAttempt struct {
	// EventID is the request id the 202 answered with: the first attempt's.
	EventID string
	// Attempt counts the runs of the event, from 1.
	Attempt int
	// MaxAttempts is 1 + the function's MaximumRetryAttempts when the
	// attempt started.
	MaxAttempts int
	// Note says what happened after the attempt, in words: a retry
	// scheduled, the record sent to a destination function, or the record
	// that would be sent to a destination lambdadeck cannot reach.
	Note string
}

// HTTPExchange is one request to the HTTP front door and its answer.
type HTTPExchange struct {
	Method string
	Path   string // with the query string
	Route  string // the route key that matched, e.g. "GET /users/{id}"
	API    string // the API's logical ID, or the function for a Function URL
	Status int
	// Request and Response are the exchange as text: the request line or
	// status line, the headers and the body (bounded).
	Request  string
	Response string
}

// Chunk is one piece of a streamed response.
type Chunk struct {
	At   time.Duration `json:"at"`   // since the event was delivered
	Size int           `json:"size"` // bytes
}

// Failed reports whether the function returned an error (X-Amz-Function-Error).
func (inv *Invocation) Failed() bool { return inv.Error != nil }

// InvocationRecorder keeps invocations: the invoker writes each one as
// running before the event is delivered and completes it afterwards.
type InvocationRecorder interface {
	BeginInvocation(ctx context.Context, inv *Invocation) error
	FinishInvocation(ctx context.Context, inv *Invocation) error
}

// Fixture is a saved event for one function, or a shared one (Function
// empty) usable with any function.
type Fixture struct {
	ID            int64
	Function      string // "" for a shared fixture
	Name          string // unique per function among live fixtures
	Description   string
	Tags          []string
	Event         json.RawMessage
	ClientContext json.RawMessage   // optional
	Identity      *CognitoIdentity  // optional
	Env           map[string]string // optional environment overrides
	Expectation   *Expectation      // optional: turns the fixture into a test
	Author        string            // display name until lambdadeck has accounts
	Revision      int               // 1 on creation, +1 on every edit
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeletedAt     time.Time // zero unless deleted (kept until purged)
	DeletedBy     string    // who deleted it; empty unless deleted
}

// Deleted reports whether the fixture was deleted.
func (f *Fixture) Deleted() bool { return !f.DeletedAt.IsZero() }

// FixtureRevision is one saved state of a fixture.
type FixtureRevision struct {
	FixtureID int64
	Revision  int
	Author    string
	At        time.Time
	Fixture   Fixture // the fixture as it was at this revision
}

// Expectation is what a fixture's invocation must produce. Any combination
// of the three may be set; all must hold.
type Expectation struct {
	// Response is the whole expected response, compared as JSON.
	Response json.RawMessage `json:"response,omitempty"`
	// Contains is a JSON subset the response must contain (objects match
	// when every key present here matches; arrays element by element).
	Contains json.RawMessage `json:"contains,omitempty"`
	// Assertions are short checks such as `statusCode == 200`,
	// `body.message contains "ok"`, `error.type == "Sandbox.Timedout"`,
	// `duration < 500ms`.
	Assertions []string `json:"assertions,omitempty"`
}

// ExpectationResult is the verdict of an Expectation on one invocation.
type ExpectationResult struct {
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"` // each with the difference, in words
}

// ValidVariableName reports whether name can name a {{variable}} of a
// fixture's event or an environment: a letter or _ first, then letters,
// digits, _, - and dots, at most 128 bytes.
func ValidVariableName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

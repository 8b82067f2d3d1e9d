package invoker

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// The Runtime API as AWS Lambda serves it to one execution environment
// (reference §1). Each instance has its own listener, because runtimes build
// every URL from AWS_LAMBDA_RUNTIME_API (host:port) alone.

// runtimeState is the state of the runtime as RAPID tracks it; the names are
// the ones its 403 InvalidStateTransition messages print.
type runtimeState int

const (
	stateStarted   runtimeState = iota // process started, init running
	stateReady                         // waiting in /next
	stateRunning                       // an event was delivered
	stateResponded                     // /response or /error was posted
)

func (s runtimeState) String() string {
	switch s {
	case stateStarted:
		return "Started"
	case stateReady:
		return "Ready"
	case stateRunning:
		return "Running"
	default:
		return "RuntimeResponseSentState"
	}
}

// pendingInvoke is one event on its way through an instance.
type pendingInvoke struct {
	requestID     string
	event         []byte
	deadline      time.Time
	functionARN   string
	traceID       string
	clientContext []byte // decoded JSON
	identity      []byte // JSON {"cognitoIdentityId","cognitoIdentityPoolId"}

	delivered time.Time     // when /next handed the event over
	done      chan struct{} // closed when a response or error was posted
	ended     chan struct{} // closed when the runtime asked for the next event

	// Set before done is closed.
	payload     []byte
	contentType string
	isError     bool
	errorType   string // Lambda-Runtime-Function-Error-Type, or the platform's
	streamed    bool
	body        []byte             // a streamed response so far; guarded by the instance's mu
	chunks      []lambdadeck.Chunk // guarded by the instance's mu
	onChunk     func()             // called after each streamed chunk arrives
	// streamLimit is the largest streamed response (Config.StreamLimit).
	streamLimit int64
	// streamed is how many bytes of a streamed response arrived; body
	// keeps only the first MaxResponsePayload of them. Guarded by mu.
	streamedBytes int64
	// sub, when set, gets every streamed chunk as it arrives (the Invoke
	// API's streaming endpoint); closed when the stream ends.
	sub chan []byte
}

// DefaultStreamLimit is the largest streamed response by default: 200 MB,
// Lambda's limit for response streaming since 2025 (it was 20 MB; the
// reference's §1.8 says to treat it as configurable: Config.StreamLimit).
const DefaultStreamLimit = 200 << 20

// maxChunkRecords bounds how many chunks an invocation records; later
// chunks are added to the last record.
const maxChunkRecords = 4096

func (a *runtimeAPI) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", a.initError)
	mux.HandleFunc("GET /2018-06-01/ping", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong")
	})
	return mux
}

// runtimeAPI serves the Runtime API of one instance.
type runtimeAPI struct{ in *instance }

func writeRuntimeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// RAPID writes with json.Encoder, so bodies end in a newline.
	io.WriteString(w, body+"\n")
}

func writeAccepted(w http.ResponseWriter) {
	writeRuntimeJSON(w, http.StatusAccepted, `{"status":"OK"}`)
}

func writeRuntimeError(w http.ResponseWriter, status int, errorType, message string) {
	body, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	writeRuntimeJSON(w, status, string(body))
}

func writeTransitionError(w http.ResponseWriter, from runtimeState, to string) {
	writeRuntimeError(w, http.StatusForbidden, "InvalidStateTransition",
		"State transition from "+from.String()+" to "+to+" failed for runtime. Error: State transition is not allowed")
}

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	in := a.in
	in.mu.Lock()
	switch in.state {
	case stateStarted:
		in.state = stateReady
		in.initDone = time.Now()
		close(in.ready)
	case stateResponded:
		in.state = stateReady
		close(in.current.ended)
		in.current = nil
	case stateRunning:
		in.mu.Unlock()
		writeTransitionError(w, stateRunning, "Ready")
		return
	}
	in.mu.Unlock()

	select {
	case p := <-in.deliver:
		in.mu.Lock()
		in.state = stateRunning
		in.current = p
		p.delivered = time.Now()
		in.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", p.requestID)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(p.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", p.functionARN)
		h.Set("Lambda-Runtime-Trace-Id", p.traceID)
		if len(p.clientContext) > 0 {
			h.Set("Lambda-Runtime-Client-Context", string(p.clientContext))
		}
		if len(p.identity) > 0 {
			h.Set("Lambda-Runtime-Cognito-Identity", string(p.identity))
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(p.event)))
		w.WriteHeader(http.StatusOK)
		w.Write(p.event)
	case <-in.stopping:
		// The instance is going away; the runtime is killed with it.
	case <-r.Context().Done():
	}
}

// current checks the request id of a /response or /error call against the
// invoke in flight, answering the runtime itself when it does not match.
func (a *runtimeAPI) current(w http.ResponseWriter, r *http.Request, to string) *pendingInvoke {
	in := a.in
	id := r.PathValue("id")
	in.mu.Lock()
	defer in.mu.Unlock()
	p := in.current
	if p == nil || id == "" || id != p.requestID {
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return nil
	}
	if in.state != stateRunning {
		writeTransitionError(w, in.state, to)
		return nil
	}
	return p
}

// finish records the outcome of p and moves the runtime on.
func (a *runtimeAPI) finish(p *pendingInvoke) {
	a.in.mu.Lock()
	a.in.state = stateResponded
	a.in.mu.Unlock()
	close(p.done)
}

func (a *runtimeAPI) response(w http.ResponseWriter, r *http.Request) {
	mode := r.Header.Get("Lambda-Runtime-Function-Response-Mode")
	if mode != "" && !strings.EqualFold(mode, "streaming") {
		p := a.current(w, r, "InvocationResponse")
		if p == nil {
			return
		}
		writeRuntimeError(w, http.StatusBadRequest, "InvalidFunctionResponseMode", "Invalid function response mode")
		p.isError = true
		p.errorType = "Runtime.InvalidResponseModeHeader"
		p.payload = platformError("Runtime.InvalidResponseModeHeader", "Invalid function response mode: "+mode)
		p.contentType = "application/json"
		a.finish(p)
		return
	}
	p := a.current(w, r, "InvocationResponse")
	if p == nil {
		return
	}
	streaming := mode != ""
	body, tooLarge, readErr := a.readBody(r, p, streaming)
	switch {
	case tooLarge && streaming:
		limit := strconv.FormatInt(p.streamLimit, 10)
		writeRuntimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size ("+limit+" bytes).")
		p.isError = true
		p.errorType = "Function.ResponseSizeTooLarge"
		p.payload = platformError("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size ("+limit+" bytes).")
		p.contentType = "application/json"
	case tooLarge:
		writeRuntimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size ("+strconv.Itoa(lambdadeck.MaxResponsePayload)+" bytes).")
		p.isError = true
		p.errorType = "Function.ResponseSizeTooLarge"
		p.payload = []byte(`{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`)
		p.contentType = "application/json"
	case readErr != nil:
		writeRuntimeError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "HTTP request detected as truncated")
		p.isError = true
		p.errorType = "Runtime.TruncatedResponse"
		p.payload = platformError("Runtime.TruncatedResponse", "RequestId: "+p.requestID+" Error: runtime response was truncated: "+readErr.Error())
		p.contentType = "application/json"
	default:
		writeAccepted(w)
		p.payload = body
		p.contentType = r.Header.Get("Content-Type")
		// A streamed response that failed half-way carries its error in
		// trailers; Lambda forwards it as a function error (reference §1.7).
		if et := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); streaming && et != "" {
			p.isError = true
			p.errorType = et
			if eb, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil && len(eb) > 0 {
				p.payload = eb
			} else {
				p.payload = platformError(et, "the response stream failed")
			}
			p.contentType = "application/json"
		}
	}
	a.finish(p)
}

// readBody reads a posted body within Lambda's response limit; for a
// streamed response it also notes when each chunk arrived.
//
// A streamed response may be far larger than a buffered one (up to the
// stream limit, 200 MB by default): it is never held whole. The first
// MaxResponsePayload bytes are kept for the record, the rest is counted,
// and every chunk goes on to the subscriber (the Invoke API's streaming
// endpoint) as it arrives; a subscriber that stops reading holds the
// runtime back (flow control) until the invocation's deadline, then loses
// the rest of the stream.
func (a *runtimeAPI) readBody(r *http.Request, p *pendingInvoke, streaming bool) (body []byte, tooLarge bool, err error) {
	limit := int64(lambdadeck.MaxResponsePayload)
	if !streaming {
		if r.ContentLength > limit {
			return nil, true, nil
		}
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if int64(len(body)) > limit {
			return nil, true, nil
		}
		return body, false, err
	}
	if p.streamLimit > 0 {
		limit = p.streamLimit
	}
	buf := make([]byte, 32*1024)
	a.in.mu.Lock()
	p.streamed = true
	sub := p.sub
	a.in.mu.Unlock()
	defer func() {
		if sub != nil {
			close(sub)
		}
	}()
	var total int64
	for {
		n, rerr := r.Body.Read(buf)
		if n > 0 {
			total += int64(n)
			if total > limit {
				return nil, true, nil
			}
			if keep := min(n, lambdadeck.MaxResponsePayload-len(body)); keep > 0 {
				body = append(body, buf[:keep]...)
			}
			a.in.mu.Lock()
			p.body = body
			p.streamedBytes = total
			if len(p.chunks) < maxChunkRecords {
				p.chunks = append(p.chunks, lambdadeck.Chunk{At: time.Since(p.delivered), Size: n})
			} else {
				p.chunks[len(p.chunks)-1].Size += n
			}
			a.in.mu.Unlock()
			if sub != nil {
				select {
				case sub <- append([]byte(nil), buf[:n]...):
				case <-time.After(time.Until(p.deadline)):
					close(sub) // the reader is stuck: it gets no more
					sub = nil
				case <-a.in.stopping:
					close(sub)
					sub = nil
				}
			}
			if p.onChunk != nil {
				p.onChunk()
			}
		}
		if errors.Is(rerr, io.EOF) {
			return body, false, nil
		}
		if rerr != nil {
			return body, false, rerr
		}
	}
}

func (a *runtimeAPI) invocationError(w http.ResponseWriter, r *http.Request) {
	p := a.current(w, r, "InvocationErrorResponse")
	if p == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, lambdadeck.MaxResponsePayload+1))
	if err != nil {
		writeRuntimeError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "HTTP request detected as truncated")
		body = nil
	} else {
		writeAccepted(w)
	}
	if len(body) > lambdadeck.MaxResponsePayload {
		body = body[:lambdadeck.MaxResponsePayload]
	}
	p.isError = true
	p.errorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	// The body passes through unchanged (reference §1.5).
	p.payload = body
	p.contentType = "application/json"
	a.finish(p)
}

func (a *runtimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	in := a.in
	body, _ := io.ReadAll(io.LimitReader(r.Body, lambdadeck.MaxResponsePayload))
	in.mu.Lock()
	if in.state != stateStarted || in.initErr != nil {
		from := in.state
		in.mu.Unlock()
		writeTransitionError(w, from, "InitError")
		return
	}
	in.initErr = body
	in.initErrType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	in.mu.Unlock()
	writeAccepted(w)
	select {
	case in.initFailed <- struct{}{}:
	default:
	}
}

// platformError is an error payload generated by lambdadeck itself, in the
// key order AWS's platform payloads use.
func platformError(errorType, message string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, message})
	return b
}

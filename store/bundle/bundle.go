// Package bundle exports invocations from a lambdadeck history as a
// self-contained JSON document, and imports such a document into another
// history, where the invocations are marked as imported. The CLI
// (lambdadeck invocations export/import) and the dashboard share it.
//
// A bundle is one JSON object:
//
//	{
//	  "format": "lambdadeck-invocations/1",
//	  "kind": "invocation" | "history" | "comparison",
//	  "server": "lambdadeck at build-box (http://127.0.0.1:8080)",
//	  "exportedAt": "2026-12-02T12:00:00Z",
//	  "filter": {"function": "hello"},            // a history export's filters
//	  "invocations": [ { "requestId": ..., "event": {...}, ... } ]
//	}
//
// Each invocation carries its event, context, client context, identity,
// response (text, or base64 when it is not UTF-8), error, logs, figures,
// configuration snapshot and code version. Environment overrides whose
// names suggest a secret leave their values out (envRedacted names them).
package bundle

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// Format is the format field of the bundles this package writes and reads.
const Format = "lambdadeck-invocations/1"

// The kinds of bundle.
const (
	KindInvocation = "invocation"
	KindHistory    = "history"
	KindComparison = "comparison"
)

// MaxBytes is the largest bundle Read accepts.
const MaxBytes = 256 << 20

// MaxInvocations caps the invocations of one bundle.
const MaxInvocations = 10000

// Bundle is an export's header and invocations.
type Bundle struct {
	Format      string            `json:"format"`
	Kind        string            `json:"kind"`
	Server      string            `json:"server"`
	ExportedAt  time.Time         `json:"exportedAt"`
	Filter      map[string]string `json:"filter,omitempty"`
	Invocations []Record          `json:"invocations"`
}

// Record is one invocation in a bundle.
type Record struct {
	RequestID        string                    `json:"requestId"`
	Function         string                    `json:"function"`
	Source           string                    `json:"source,omitempty"`
	UserAgent        string                    `json:"userAgent,omitempty"`
	Status           string                    `json:"status"`
	Event            json.RawMessage           `json:"event"`
	Context          json.RawMessage           `json:"context,omitempty"`
	ClientContext    json.RawMessage           `json:"clientContext,omitempty"`
	Identity         json.RawMessage           `json:"identity,omitempty"`
	EnvOverrides     map[string]string         `json:"envOverrides,omitempty"`
	EnvRedacted      []string                  `json:"envRedacted,omitempty"`
	Response         *string                   `json:"response,omitempty"`
	ResponseEncoding string                    `json:"responseEncoding,omitempty"` // "text" (default) or "base64"
	ContentType      string                    `json:"contentType,omitempty"`
	Error            *lambdadeck.FunctionError `json:"error,omitempty"`
	Logs             string                    `json:"logs"`
	LogsTruncated    bool                      `json:"logsTruncated,omitempty"`
	Chunks           []lambdadeck.Chunk        `json:"chunks,omitempty"`
	Cold             bool                      `json:"cold"`
	InitDurationUs   int64                     `json:"initDurationUs"`
	DurationUs       int64                     `json:"durationUs"`
	BilledDurationUs int64                     `json:"billedDurationUs"`
	MemorySizeMB     int                       `json:"memorySizeMB"`
	MaxMemoryUsedMB  int                       `json:"maxMemoryUsedMB"`
	OutOfMemory      bool                      `json:"outOfMemory,omitempty"`
	StartedAt        time.Time                 `json:"startedAt"`
	EndedAt          time.Time                 `json:"endedAt"`
	Config           *lambdadeck.RunConfig     `json:"config,omitempty"`
	Code             *lambdadeck.CodeVersion   `json:"code,omitempty"`
	// ImportedFrom is set when the exporting server had imported the
	// invocation itself: where it really ran.
	ImportedFrom *lambdadeck.ImportOrigin `json:"importedFrom,omitempty"`
}

// secretName reports whether an environment variable's name suggests a
// secret value (the words the dashboard masks).
func secretName(name string) bool {
	upper := strings.ToUpper(name)
	for _, word := range [...]string{"KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL", "PRIVATE"} {
		if strings.Contains(upper, word) {
			return true
		}
	}
	return false
}

// FromInvocation is the record of inv, whole.
func FromInvocation(inv *lambdadeck.Invocation) Record {
	r := Record{
		RequestID: inv.RequestID, Function: inv.Function, Source: string(inv.Source), UserAgent: inv.UserAgent,
		Status: string(inv.Status), Event: inv.Event, Context: inv.Context, ClientContext: inv.ClientContext,
		Identity: inv.Identity, ContentType: inv.ContentType, Error: inv.Error, Logs: inv.Logs,
		LogsTruncated: inv.LogsTruncated, Chunks: inv.Chunks, Cold: inv.Cold,
		InitDurationUs: inv.InitDuration.Microseconds(), DurationUs: inv.Duration.Microseconds(),
		BilledDurationUs: inv.BilledDuration.Microseconds(), MemorySizeMB: inv.MemorySizeMB,
		MaxMemoryUsedMB: inv.MaxMemoryUsedMB, OutOfMemory: inv.OutOfMemory,
		StartedAt: inv.StartedAt.UTC(), EndedAt: inv.EndedAt.UTC(), Config: inv.Config, Code: inv.Code,
		ImportedFrom: inv.Imported,
	}
	if len(r.Event) == 0 {
		r.Event = json.RawMessage("null")
	}
	for name, value := range inv.EnvOverrides {
		if secretName(name) {
			r.EnvRedacted = append(r.EnvRedacted, name)
			continue
		}
		if r.EnvOverrides == nil {
			r.EnvOverrides = map[string]string{}
		}
		r.EnvOverrides[name] = value
	}
	slices.Sort(r.EnvRedacted)
	if inv.Payload != nil {
		s := string(inv.Payload)
		if !utf8.Valid(inv.Payload) {
			s = base64.StdEncoding.EncodeToString(inv.Payload)
			r.ResponseEncoding = "base64"
		}
		r.Response = &s
	}
	return r
}

// Header is what an export says about itself.
type Header struct {
	Kind   string
	Server string            // the exporting server's name, URL or host
	Filter map[string]string // a history export's filters
}

// Write writes a bundle of the invocations with the given request ids,
// read whole one at a time, so memory holds one invocation at a time
// however large the bundle. An unknown request id is ENOTFOUND, found
// before anything is written.
func Write(ctx context.Context, w io.Writer, db *store.DB, h Header, requestIDs []string) error {
	if h.Server == "" {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "an export needs the server's name")
	}
	for _, id := range requestIDs {
		if _, _, err := db.InvocationPartSize(ctx, id, store.PartEvent); err != nil {
			return err
		}
	}
	head := Bundle{Format: Format, Kind: h.Kind, Server: h.Server, ExportedAt: time.Now().UTC(), Filter: h.Filter}
	b, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	// The header without its closing `"invocations":null}`, then the
	// records one by one.
	prefix := strings.TrimSuffix(string(b), `"invocations":null}`)
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(prefix + "\"invocations\":[\n"); err != nil {
		return err
	}
	for i, id := range requestIDs {
		inv, err := db.Invocation(ctx, id)
		if err != nil {
			return err
		}
		rec, err := json.Marshal(FromInvocation(inv))
		if err != nil {
			return fmt.Errorf("bundle: encode %s: %w", id, err)
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		if _, err := bw.Write(rec); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// HistoryIDs lists the request ids of the invocations matching f, newest
// first, up to limit (at most MaxInvocations), for a history export.
func HistoryIDs(ctx context.Context, db *store.DB, f store.InvocationFilter, limit int) ([]string, error) {
	if limit <= 0 || limit > MaxInvocations {
		limit = MaxInvocations
	}
	var ids []string
	for len(ids) < limit {
		f.Limit = min(store.MaxListLimit, limit-len(ids))
		page, err := db.ListInvocations(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, inv := range page.Items {
			ids = append(ids, inv.RequestID)
		}
		if page.Next == "" {
			break
		}
		f.Before = page.Next
	}
	return ids, nil
}

// Read decodes and checks a bundle: a bad one is EINVALID with a message
// naming what is wrong (and, for an invocation, which one), and nothing of
// it should be imported.
func Read(r io.Reader) (*Bundle, []*lambdadeck.Invocation, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: read: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, nil, lambdadeck.Errorf(lambdadeck.ETOOLARGE, "the bundle is larger than %d MB", MaxBytes>>20)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the bundle is empty")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the bundle is not a JSON object: %v", err)
	}
	var format string
	if raw, ok := probe["format"]; !ok {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, `not a lambdadeck bundle: it has no "format" field (want %q)`, Format)
	} else if json.Unmarshal(raw, &format) != nil || format != Format {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "bundle format %s is not one this lambdadeck reads (%q)", raw, Format)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the bundle does not match format %s: %v", Format, err)
	}
	if strings.TrimSpace(b.Server) == "" {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, `the bundle does not say which server exported it ("server" is empty)`)
	}
	switch b.Kind {
	case KindInvocation, KindHistory, KindComparison:
	default:
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, `unknown bundle kind %q; want invocation, history or comparison`, b.Kind)
	}
	if len(b.Invocations) == 0 {
		return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the bundle holds no invocations")
	}
	if len(b.Invocations) > MaxInvocations {
		return nil, nil, lambdadeck.Errorf(lambdadeck.ETOOLARGE, "the bundle holds %d invocations; at most %d can be imported at once", len(b.Invocations), MaxInvocations)
	}
	seen := map[string]bool{}
	invs := make([]*lambdadeck.Invocation, 0, len(b.Invocations))
	for i, rec := range b.Invocations {
		inv, err := rec.invocation()
		if err != nil {
			return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %d of the bundle (request id %q): %s", i+1, rec.RequestID, lambdadeck.ErrorMessage(err))
		}
		if seen[inv.RequestID] {
			return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %d of the bundle: request id %q appears twice", i+1, rec.RequestID)
		}
		seen[inv.RequestID] = true
		invs = append(invs, inv)
	}
	return &b, invs, nil
}

// invocation checks r and turns it back into an invocation.
func (r Record) invocation() (*lambdadeck.Invocation, error) {
	bad := func(format string, args ...any) error { return lambdadeck.Errorf(lambdadeck.EINVALID, format, args...) }
	switch {
	case r.RequestID == "":
		return nil, bad(`"requestId" is empty`)
	case len(r.RequestID) > 200 || strings.ContainsFunc(r.RequestID, func(c rune) bool { return c < ' ' || c == 0x7f }):
		return nil, bad(`"requestId" must be at most 200 printable characters`)
	case r.Function == "":
		return nil, bad(`"function" is empty`)
	case !lambdadeck.Status(r.Status).Valid():
		return nil, bad(`"status" %q is not a status (want one of succeeded, failed, timed_out, crashed, interrupted)`, r.Status)
	case !lambdadeck.Status(r.Status).Finished():
		return nil, bad(`"status" is %s: only finished invocations can be imported`, r.Status)
	case len(r.Event) == 0:
		return nil, bad(`"event" is missing`)
	case len(r.Event) > lambdadeck.MaxSyncPayload+1024:
		return nil, bad(`"event" is larger than Lambda's 6 MB`)
	case r.StartedAt.IsZero():
		return nil, bad(`"startedAt" is missing`)
	case !r.EndedAt.IsZero() && r.EndedAt.Before(r.StartedAt):
		return nil, bad(`"endedAt" is before "startedAt"`)
	case r.DurationUs < 0 || r.InitDurationUs < 0 || r.BilledDurationUs < 0 || r.MemorySizeMB < 0 || r.MaxMemoryUsedMB < 0:
		return nil, bad("durations and memory sizes must not be negative")
	}
	for name, doc := range map[string]json.RawMessage{"context": r.Context, "clientContext": r.ClientContext, "identity": r.Identity} {
		if len(doc) > 0 && !json.Valid(doc) {
			return nil, bad("%q is not valid JSON", name)
		}
	}
	inv := &lambdadeck.Invocation{
		RequestID: r.RequestID, Function: r.Function, Source: lambdadeck.Source(r.Source), UserAgent: r.UserAgent,
		Status: lambdadeck.Status(r.Status), Event: r.Event, Context: nullable(r.Context),
		ClientContext: nullable(r.ClientContext), Identity: nullable(r.Identity), EnvOverrides: r.EnvOverrides,
		ContentType: r.ContentType, Error: r.Error, Logs: r.Logs, LogsTruncated: r.LogsTruncated, Chunks: r.Chunks,
		Cold: r.Cold, InitDuration: time.Duration(r.InitDurationUs) * time.Microsecond,
		Duration: time.Duration(r.DurationUs) * time.Microsecond, BilledDuration: time.Duration(r.BilledDurationUs) * time.Microsecond,
		MemorySizeMB: r.MemorySizeMB, MaxMemoryUsedMB: r.MaxMemoryUsedMB, OutOfMemory: r.OutOfMemory,
		StartedAt: r.StartedAt.UTC(), EndedAt: r.EndedAt.UTC(), Config: r.Config, Code: r.Code, Imported: r.ImportedFrom,
	}
	if r.EndedAt.IsZero() {
		inv.EndedAt = time.Time{}
	}
	if r.Response != nil {
		switch r.ResponseEncoding {
		case "", "text":
			inv.Payload = []byte(*r.Response)
		case "base64":
			p, err := base64.StdEncoding.DecodeString(*r.Response)
			if err != nil {
				return nil, bad(`"response" is not valid base64: %v`, err)
			}
			inv.Payload = p
		default:
			return nil, bad(`"responseEncoding" %q is not text or base64`, r.ResponseEncoding)
		}
	}
	if inv.Error != nil && inv.Error.Type == "" {
		return nil, bad(`"error" has no "errorType"`)
	}
	return inv, nil
}

// nullable is doc, or nil for an absent or null document.
func nullable(doc json.RawMessage) json.RawMessage {
	if len(doc) == 0 || string(doc) == "null" {
		return nil
	}
	return doc
}

// Import reads a bundle from r and records its invocations in db, marked
// as imported from the bundle's server. A bad bundle imports nothing.
func Import(ctx context.Context, db *store.DB, r io.Reader) (*Bundle, store.ImportOutcome, error) {
	b, invs, err := Read(r)
	if err != nil {
		return nil, store.ImportOutcome{}, err
	}
	out, err := db.ImportInvocations(ctx, invs, lambdadeck.ImportOrigin{Server: b.Server, ExportedAt: b.ExportedAt})
	if err != nil {
		return b, out, err
	}
	return b, out, nil
}

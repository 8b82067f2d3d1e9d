package invoker

// Where an Event invocation's outcome goes (reference: Lambda's
// "Capturing records of asynchronous invocations"). A destination that is a
// function of the template receives Lambda's invocation record as an Event
// invocation of its own (queued durably like any other); SQS, SNS,
// EventBridge and S3 targets, and dead-letter queues, are out of reach of a
// local lambdadeck, so the attempt's note says what would have been sent
// where.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// invocationRecord is the JSON Lambda sends to a destination.
type invocationRecord struct {
	Version         string          `json:"version"`
	Timestamp       string          `json:"timestamp"`
	RequestContext  recordRequest   `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext recordResponse  `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

type recordRequest struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type recordResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// buildRecord is the invocation record of the event's outcome; last is its
// latest attempt, nil when it never ran (it aged out waiting for a slot).
func buildRecord(fn lambdadeck.Function, ev lambdadeck.QueuedEvent, last *lambdadeck.Invocation, condition string) ([]byte, error) {
	rec := invocationRecord{
		Version:   "1.0",
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: recordRequest{
			RequestID:              ev.RequestID,
			FunctionArn:            fn.ARN() + ":" + lambdadeck.LatestVersion,
			Condition:              condition,
			ApproximateInvokeCount: ev.Dispatches,
		},
		RequestPayload:  ev.Event,
		ResponseContext: recordResponse{StatusCode: 200, ExecutedVersion: lambdadeck.LatestVersion},
		ResponsePayload: json.RawMessage("null"),
	}
	if last != nil {
		rec.RequestContext.ApproximateInvokeCount = last.Async.Attempt
		if last.Failed() {
			rec.ResponseContext.FunctionError = "Unhandled"
		}
		switch {
		case len(last.Payload) == 0:
		case json.Valid(last.Payload):
			rec.ResponsePayload = last.Payload
		default:
			b, _ := json.Marshal(string(last.Payload))
			rec.ResponsePayload = b
		}
	} else {
		// It never ran: every try found the function at its concurrency
		// limit, which Lambda reports as a throttle.
		rec.ResponseContext.StatusCode = 429
	}
	return json.Marshal(rec)
}

// sendRecord sends the event's outcome where the function's
// EventInvokeConfig says (OnSuccess for Success; OnFailure and the
// dead-letter queue otherwise) and returns what it did, in words.
func (iv *Invoker) sendRecord(ctx context.Context, fn lambdadeck.Function, ev lambdadeck.QueuedEvent, last *lambdadeck.Invocation, condition string) string {
	cfg := fn.EventInvoke
	var notes []string
	if condition == lambdadeck.ConditionSuccess {
		if cfg.OnSuccess.Type != "" {
			notes = append(notes, iv.toDestination(ctx, "OnSuccess", cfg.OnSuccess, fn, ev, last, condition, false))
		}
		return strings.Join(notes, ". ")
	}
	if cfg.OnFailure.Type != "" {
		notes = append(notes, iv.toDestination(ctx, "OnFailure", cfg.OnFailure, fn, ev, last, condition, false))
	}
	if cfg.DeadLetter.Type != "" {
		notes = append(notes, iv.toDestination(ctx, "DeadLetterQueue", cfg.DeadLetter, fn, ev, last, condition, true))
	}
	return strings.Join(notes, ". ")
}

// toDestination delivers to one destination. A dead-letter queue gets the
// event alone, as Lambda sends it; a destination gets the record.
func (iv *Invoker) toDestination(ctx context.Context, which string, d lambdadeck.Destination, fn lambdadeck.Function, ev lambdadeck.QueuedEvent, last *lambdadeck.Invocation, condition string, eventOnly bool) string {
	payload := []byte(ev.Event)
	what := "the event"
	if !eventOnly {
		rec, err := buildRecord(fn, ev, last, condition)
		if err != nil {
			return fmt.Sprintf("%s: the invocation record could not be built: %v", which, err)
		}
		payload, what = rec, "the invocation record ("+condition+")"
	}
	if d.Type == "Lambda" {
		if _, known := iv.cat.Load().funcs[d.Target]; known {
			sent, err := iv.Invoke(context.WithoutCancel(ctx), lambdadeck.InvokeRequest{
				Function: d.Target, Event: payload, Source: lambdadeck.SourceAPI,
				UserAgent: "lambdadeck destination of " + fn.Name, Async: true,
			})
			if err != nil {
				iv.log.Error("async destination", "function", d.Target, "err", err)
				return fmt.Sprintf("%s: %s could not be sent to function %s: %s", which, what, d.Target, lambdadeck.ErrorMessage(err))
			}
			return fmt.Sprintf("%s: %s was sent to function %s (request %s)", which, what, d.Target, sent.RequestID)
		}
	}
	return fmt.Sprintf("%s: %s would be sent to %s %s (lambdadeck does not deliver to it locally)", which, what, d.Type, d.Target)
}

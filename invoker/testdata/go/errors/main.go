// Command errors fails in the ways a Go handler can: a plain error, an error
// of its own type, and a panic; "ok" succeeds and counts the invocations
// this process has served, so a test can see a restart.
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Kind string `json:"kind"`
}

// ValidationError is an error type of the handler's own.
type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return "invalid field " + e.Field }

var served int

func handle(ctx context.Context, req request) (string, error) {
	served++
	switch req.Kind {
	case "plain":
		return "", errors.New("something broke")
	case "custom":
		return "", &ValidationError{Field: "email"}
	case "panic":
		panic("kaboom")
	}
	return fmt.Sprintf("ok %d", served), nil
}

func main() { lambda.Start(handle) }

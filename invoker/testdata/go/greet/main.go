// Command greet is a handler with a struct in and out: the JSON shapes and
// encoding (no HTML escaping, no trailing newline) are aws-lambda-go's.
package main

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type greeting struct {
	Name  string `json:"name"`
	Times int    `json:"times"`
}

type reply struct {
	Message string   `json:"message"`
	Echoes  []string `json:"echoes"`
}

func handle(ctx context.Context, in greeting) (reply, error) {
	return reply{Message: "Hello, " + in.Name + "!", Echoes: strings.Fields(strings.Repeat(in.Name+" ", in.Times))}, nil
}

func main() { lambda.Start(handle) }

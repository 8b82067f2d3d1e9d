// Command slow sleeps for the requested time without looking at its
// context, as a handler stuck in a call would, so only the platform's
// timeout can end it.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	SleepMs int `json:"sleepMs"`
}

var started = time.Now()

func handle(ctx context.Context, req request) (string, error) {
	fmt.Println("sleeping", req.SleepMs)
	time.Sleep(time.Duration(req.SleepMs) * time.Millisecond)
	return fmt.Sprintf("slept in process started %d", started.UnixNano()), nil
}

func main() { lambda.Start(handle) }

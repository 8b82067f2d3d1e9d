package lambdadeck

import (
	"errors"
	"fmt"
)

// Error codes: a small closed set, mapped to HTTP statuses in one place (web).
const (
	EINVALID   = "invalid"   // bad input from the user
	ENOTFOUND  = "not_found" // unknown function, invocation, fixture
	ECONFLICT  = "conflict"  // a name clash, a stale revision
	ETOOLARGE  = "too_large" // a payload over Lambda's limits
	ETHROTTLED = "throttled" // concurrency and queue are full
	EINTERNAL  = "internal"  // lambdadeck itself failed
	// EUNAUTHORIZED: nobody is signed in (or the credentials are wrong).
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN: the signed-in principal's role does not allow the action.
	EFORBIDDEN = "forbidden"
)

// Error is an error whose message is safe to show to the user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// EINTERNAL; nil has no code.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the message of an *Error,
// or a generic text for anything else (which is logged, not shown).
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

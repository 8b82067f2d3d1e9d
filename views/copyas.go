package views

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// ShellQuote quotes s as one word for a POSIX shell: inside single quotes
// nothing is special but the single quote itself, which is written as '\”
// (close the quotes, an escaped quote, reopen). A word of only safe
// characters is left bare; the empty word is ”.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:=@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// CopyAs are the commands that reproduce an invocation from a shell.
type CopyAs struct {
	Lambdadeck string // lambdadeck invoke, the event on standard input
	AWS        string // aws lambda invoke against this server
	Curl       string // curl of the Invoke API
	// Notes say what the commands leave out (environment overrides, an
	// identity the AWS CLI cannot send) or that the event is read from a
	// file because it is too large to paste.
	Notes []string
}

// maxInlineEvent is the largest event the commands carry inline; a larger
// one is read from a file the page links to.
const maxInlineEvent = 64 << 10

// NewCopyAs builds the commands for an invocation of function with event
// (whole: eventCut is false) against the server at baseURL (scheme://host).
// clientContext is the decoded client context JSON, empty for none.
func NewCopyAs(baseURL, function string, event []byte, eventCut bool, clientContext []byte, envOverrides []string, hasIdentity bool) CopyAs {
	var c CopyAs
	invokeURL := strings.TrimSuffix(baseURL, "/") + "/2015-03-31/functions/" + url.PathEscape(function) + "/invocations"
	inline := !eventCut && len(event) <= maxInlineEvent
	eventFile := "event.json"
	if !inline {
		c.Notes = append(c.Notes, "The event is too large to paste: download it as "+eventFile+" (the Event panel's link) and run the commands beside it.")
	}
	var ld, aws, curl []string
	if inline {
		ld = append(ld, "printf '%s'", ShellQuote(string(event)), "|")
	}
	ld = append(ld, "lambdadeck", "invoke", ShellQuote(function))
	if inline {
		ld = append(ld, "--event", "-")
	} else {
		ld = append(ld, "--event", eventFile)
	}
	aws = append(aws, "aws", "lambda", "invoke", "--endpoint-url", ShellQuote(baseURL),
		"--function-name", ShellQuote(function), "--cli-binary-format", "raw-in-base64-out")
	if inline {
		aws = append(aws, "--payload", ShellQuote(string(event)))
	} else {
		aws = append(aws, "--payload", "fileb://"+eventFile)
	}
	curl = append(curl, "curl", "-sS", "-X", "POST", ShellQuote(invokeURL), "-H", ShellQuote("Content-Type: application/json"))
	if len(clientContext) > 0 && string(clientContext) != "null" {
		b64 := base64.StdEncoding.EncodeToString(clientContext)
		aws = append(aws, "--client-context", ShellQuote(b64))
		curl = append(curl, "-H", ShellQuote("X-Amz-Client-Context: "+b64))
		c.Notes = append(c.Notes, "lambdadeck invoke takes the client context from a file (--client-context FILE): save it from the Client context panel.")
	}
	if inline {
		curl = append(curl, "--data-binary", ShellQuote(string(event)))
	} else {
		curl = append(curl, "--data-binary", "@"+eventFile)
	}
	aws = append(aws, "response.json")
	if len(envOverrides) > 0 {
		c.Notes = append(c.Notes, "Environment overrides ("+strings.Join(envOverrides, ", ")+") are not in the commands: their values may be secrets, and the Invoke API takes none.")
	}
	if hasIdentity {
		c.Notes = append(c.Notes, "The Cognito identity is not in the commands: the Invoke API has no way to send one.")
	}
	c.Lambdadeck, c.AWS, c.Curl = strings.Join(ld, " "), strings.Join(aws, " "), strings.Join(curl, " ")
	return c
}

// Package expect turns fixtures into tests: it checks an invocation against
// a fixture's expectation (a whole expected response, a subset it must
// contain, short assertions), expands {{variables}} in events, runs every
// fixture with an expectation within the functions' concurrency, and writes
// the outcome as JUnit XML.
//
// It is pure logic on the domain types: it runs functions only through the
// small Invoker interface and stores verdicts only through ResultRecorder.
package expect

import (
	"fmt"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// Evaluate checks inv against exp. Every part of exp that is set must hold;
// each failure says what differs and where. A nil expectation passes. A
// malformed part (Validate refuses it at save time, but a fixture could be
// older than a rule) is a failure, never a panic.
func Evaluate(exp *lambdadeck.Expectation, inv *lambdadeck.Invocation) lambdadeck.ExpectationResult {
	var failures []string
	if exp != nil {
		got := payloadValue(inv.Payload)
		if len(exp.Response) > 0 {
			failures = append(failures, compareDocument("response", exp.Response, got, false)...)
		}
		if len(exp.Contains) > 0 {
			failures = append(failures, compareDocument("contains", exp.Contains, got, true)...)
		}
		for _, text := range exp.Assertions {
			a, err := ParseAssertion(text)
			if err != nil {
				failures = append(failures, fmt.Sprintf("assertion %q is malformed: %v", text, err))
				continue
			}
			if failure, ok := a.Check(inv); !ok {
				failures = append(failures, failure)
			}
		}
	}
	return lambdadeck.ExpectationResult{Passed: len(failures) == 0, Failures: failures}
}

// compareDocument compares got with the expected JSON document and returns
// one failure per difference, labelled with what (response or contains).
func compareDocument(what string, expected []byte, got any, subset bool) []string {
	want, err := decodeJSON(expected)
	if err != nil {
		return []string{fmt.Sprintf("the expected %s is not valid JSON: %v", what, err)}
	}
	d := differ{subset: subset}
	d.compare("", want, got)
	failures := make([]string, 0, len(d.diffs)+1)
	for _, diff := range d.diffs {
		failures = append(failures, what+" "+diff)
	}
	if d.more > 0 {
		failures = append(failures, fmt.Sprintf("%s: %d more differences", what, d.more))
	}
	return failures
}

// Validate checks that exp can be evaluated: its documents are JSON and its
// assertions parse. Its error is EINVALID and names the first problem. A nil
// expectation is valid.
func Validate(exp *lambdadeck.Expectation) error {
	if exp == nil {
		return nil
	}
	if len(exp.Response) > 0 {
		if _, err := decodeJSON(exp.Response); err != nil {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "the expected response is not valid JSON: %v", err)
		}
	}
	if len(exp.Contains) > 0 {
		if _, err := decodeJSON(exp.Contains); err != nil {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "the expected subset (contains) is not valid JSON: %v", err)
		}
	}
	for i, text := range exp.Assertions {
		if _, err := ParseAssertion(text); err != nil {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "assertion %d (%s): %v", i+1, strings.TrimSpace(text), err)
		}
	}
	return nil
}

// Empty reports whether exp checks nothing (nil, or no part set).
func Empty(exp *lambdadeck.Expectation) bool {
	return exp == nil || len(exp.Response) == 0 && len(exp.Contains) == 0 && len(exp.Assertions) == 0
}

// SplitAssertions splits the text of an assertions box into assertions, one
// per line, leaving out blank lines and lines starting with #.
func SplitAssertions(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

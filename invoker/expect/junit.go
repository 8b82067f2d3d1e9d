package expect

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// The JUnit XML document, in the shape CI servers read (the Jenkins/Ant
// schema): testsuites > testsuite (one per function) > testcase (one per
// fixture).
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name      string      `xml:"name,attr"`
		Tests     int         `xml:"tests,attr"`
		Failures  int         `xml:"failures,attr"`
		Errors    int         `xml:"errors,attr"`
		Skipped   int         `xml:"skipped,attr"`
		Time      string      `xml:"time,attr"`
		Timestamp string      `xml:"timestamp,attr,omitempty"`
		Cases     []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Classname string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		Skipped   *junitProblem `xml:"skipped"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
)

// sharedSuite names the suite of shared fixtures skipped for want of a
// function.
const sharedSuite = "(shared)"

// WriteJUnit writes outcomes as a JUnit XML report: one testsuite per
// function, one testcase per fixture. A failed expectation is a <failure>
// with every failure and the response; an invocation that could not run is
// an <error>; a skipped case is <skipped>; the invocation's logs are the
// case's <system-out>. startedAt stamps the suites.
func WriteJUnit(w io.Writer, outcomes []Outcome, startedAt time.Time) error {
	byFunction := map[string]*junitSuite{}
	suiteTime := map[string]time.Duration{}
	var names []string
	doc := junitSuites{Name: "lambdadeck"}
	var total time.Duration
	for _, o := range outcomes {
		function := o.Function
		if function == "" {
			function = sharedSuite
		}
		suite, ok := byFunction[function]
		if !ok {
			suite = &junitSuite{Name: function, Timestamp: startedAt.UTC().Format("2006-01-02T15:04:05")}
			byFunction[function] = suite
			names = append(names, function)
		}
		tc := junitCase{Classname: function, Name: o.Fixture.Name, Time: seconds(o.Elapsed)}
		if o.Invocation != nil {
			tc.SystemOut = o.Invocation.Logs
		}
		suite.Tests++
		switch o.State() {
		case StateSkipped:
			suite.Skipped++
			tc.Skipped = &junitProblem{Message: o.Skip}
		case StateError:
			suite.Errors++
			tc.Error = &junitProblem{Message: o.Err.Error(), Type: "lambdadeck.NotRun", Text: o.Err.Error()}
		case StateFailed:
			suite.Failures++
			tc.Failure = &junitProblem{
				Message: o.Result.Failures[0],
				Type:    "ExpectationFailed",
				Text:    failureText(o),
			}
		}
		suite.Cases = append(suite.Cases, tc)
		suiteTime[function] += o.Elapsed
		total += o.Elapsed
	}
	sort.Strings(names)
	for _, n := range names {
		s := byFunction[n]
		s.Time = seconds(suiteTime[n])
		doc.Suites = append(doc.Suites, *s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	doc.Time = seconds(total)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("expect: write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("expect: write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("expect: write junit: %w", err)
	}
	return nil
}

// failureText lists every failure, then the invocation's status and its
// response payload.
func failureText(o Outcome) string {
	var b strings.Builder
	for _, f := range o.Result.Failures {
		b.WriteString(f)
		b.WriteByte('\n')
	}
	if inv := o.Invocation; inv != nil {
		fmt.Fprintf(&b, "\nrequest id: %s\nstatus: %s\nresponse:\n%s\n", inv.RequestID, inv.Status, inv.Payload)
	}
	return b.String()
}

// seconds formats d as JUnit's time: seconds with millisecond precision.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}

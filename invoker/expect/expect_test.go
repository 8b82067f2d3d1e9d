package expect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// apiResponse is an API Gateway proxy response, whose body holds JSON.
const apiResponse = `{"statusCode":200,"headers":{"Content-Type":"application/json","X-Trace":"abc"},` +
	`"body":"{\"message\":\"ok, all good\",\"items\":[{\"id\":7,\"tags\":[\"a\",\"b\"]},{\"id\":8}],\"count\":2.50}","isBase64Encoded":false}`

func succeeded(payload string) *lambdadeck.Invocation {
	return &lambdadeck.Invocation{
		Status:          lambdadeck.StatusSucceeded,
		Payload:         []byte(payload),
		Duration:        120 * time.Millisecond,
		MaxMemoryUsedMB: 70,
		Cold:            true,
		Logs:            "START RequestId: x\nINFO hello world\nEND RequestId: x\n",
	}
}

func timedOut() *lambdadeck.Invocation {
	return &lambdadeck.Invocation{
		Status:   lambdadeck.StatusTimedOut,
		Payload:  []byte(`{"errorMessage":"Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"}`),
		Error:    &lambdadeck.FunctionError{Type: "Sandbox.Timedout", Message: "Task timed out after 1.00 seconds", Stack: []string{"at a", "at b"}},
		Duration: 1001 * time.Millisecond,
	}
}

func TestAssertions(t *testing.T) {
	api := succeeded(apiResponse)
	cases := []struct {
		assertion string
		inv       *lambdadeck.Invocation
		pass      bool
		failure   string // a part of the failure text when it fails
	}{
		// ==, != on response paths, with body parsed on the way down.
		{`statusCode == 200`, api, true, ""},
		{`statusCode==200`, api, true, ""},
		{`statusCode == 200.0`, api, true, ""},
		{`statusCode == 500`, api, false, "statusCode == 500: got 200"},
		{`statusCode != 500`, api, true, ""},
		{`statusCode != 200`, api, false, "got 200"},
		{`body.message == "ok, all good"`, api, true, ""},
		{`body.items[0].id == 7`, api, true, ""},
		{`body.items[1] == {"id": 8}`, api, true, ""},
		{`body.count == 2.5`, api, true, ""},
		{`headers["Content-Type"] == "application/json"`, api, true, ""},
		{`headers.Content-Type == "application/json"`, api, true, ""},
		{`isBase64Encoded == false`, api, true, ""},
		{`body == {"count": 2.5, "items": [{"id":7,"tags":["a","b"]},{"id":8}], "message": "ok, all good"}`, api, true, ""},
		{`response.statusCode == 200`, api, true, ""},
		{`response.body.missing == 1`, api, false, `no key "missing" at .body`},
		{`body.items[5].id == 1`, api, false, ".body.items has 2 elements, no [5]"},
		{`statusCode.x == 1`, api, false, ".statusCode is 200, not an object"},
		{`body.items.x == 1`, api, false, "not an object"},
		{`statusCode[0] == 1`, api, false, "not an array"},
		// Ordering.
		{`statusCode < 300`, api, true, ""},
		{`statusCode <= 200`, api, true, ""},
		{`statusCode > 200`, api, false, "statusCode > 200: got 200"},
		{`statusCode >= 200`, api, true, ""},
		{`body.message > 1`, api, false, "not a number"},
		// contains: substring, array element, object key and subset.
		{`body.message contains "ok"`, api, true, ""},
		{`body.message contains "fail"`, api, false, `got "ok, all good"`},
		{`body.items[0].tags contains "b"`, api, true, ""},
		{`body.items contains {"id": 8}`, api, true, ""},
		{`body.items contains {"id": 9}`, api, false, ""},
		{`headers contains "X-Trace"`, api, true, ""},
		{`headers contains {"X-Trace": "abc"}`, api, true, ""},
		{`body contains "message"`, api, true, ""},
		{`statusCode contains 2`, api, false, ""},
		// matches.
		{`body.message matches "^ok,"`, api, true, ""},
		{`body.message matches "^fail"`, api, false, ""},
		{`statusCode matches "^2\\d\\d$"`, api, true, ""},
		{`body.items matches "x"`, api, false, "not a string"},
		// exists, !exists.
		{`body.items[1].id exists`, api, true, ""},
		{`body.nope exists`, api, false, `no key "nope" at .body`},
		{`body.nope !exists`, api, true, ""},
		{`statusCode !exists`, api, false, "got 200"},
		{`error !exists`, api, true, ""},
		{`error exists`, api, false, "there was no error (status succeeded)"},
		{`error.type == "X"`, api, false, "there was no error"},
		// error, status, duration, memory, cold, logs.
		{`error.type == "Sandbox.Timedout"`, timedOut(), true, ""},
		{`error.message contains "timed out"`, timedOut(), true, ""},
		{`error.stack[1] == "at b"`, timedOut(), true, ""},
		{`errorType == "Sandbox.Timedout"`, timedOut(), true, ""},
		{`status == "timed_out"`, timedOut(), true, ""},
		{`status == "succeeded"`, timedOut(), false, `status == "succeeded": got "timed_out"`},
		{`status != "failed"`, api, true, ""},
		{`duration < 500ms`, api, true, ""},
		{`duration < 1s`, timedOut(), false, "took 1.001s"},
		{`duration >= 120`, api, true, ""},
		{`duration == 120ms`, api, true, ""},
		{`duration > 2s`, api, false, "took 120ms"},
		{`memory < 128MB`, api, true, ""},
		{`memory <= 70`, api, true, ""},
		{`memory > 0.0625GB`, api, true, ""},
		{`memory < 64MB`, api, false, "used 70 MB"},
		{`cold == true`, api, true, ""},
		{`cold != true`, api, false, "got true"},
		{`logs contains "hello world"`, api, true, ""},
		{`logs matches "INFO\\s+hello"`, api, true, ""},
		// Whole payloads that are not objects.
		{`response == "plain text"`, succeeded("plain text"), true, ""},
		{`response == null`, succeeded(""), true, ""},
		{`response == [1, 2]`, succeeded("[1,2]"), true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.assertion, func(t *testing.T) {
			a, err := ParseAssertion(tc.assertion)
			if err != nil {
				t.Fatalf("ParseAssertion: %v", err)
			}
			failure, ok := a.Check(tc.inv)
			if ok != tc.pass {
				t.Fatalf("Check = %v (%q), want %v", ok, failure, tc.pass)
			}
			if !ok && !strings.Contains(failure, tc.failure) {
				t.Errorf("failure %q lacks %q", failure, tc.failure)
			}
			if a.String() != tc.assertion {
				t.Errorf("String() = %q", a.String())
			}
		})
	}
}

func TestParseAssertionErrors(t *testing.T) {
	cases := []struct{ assertion, want string }{
		{``, "empty assertion"},
		{`   `, "empty assertion"},
		{`== 200`, "expected a path"},
		{`.body == 1`, "cannot start with a dot"},
		{`statusCode`, "expected an operator after statusCode"},
		{`statusCode = 200`, `unknown operator "=" after statusCode`},
		{`statusCode is 200`, `unknown operator "is"`},
		{`statusCode containsx 2`, `unknown operator "containsx"`},
		{`statusCode ==`, "expected a value after =="},
		{`statusCode == ok`, `value ok is not a JSON literal`},
		{`statusCode == "ok`, `is not a JSON literal`},
		{`statusCode == 200 300`, `is not a JSON literal`},
		{`body.message < "b"`, "< compares numbers"},
		{`body matches 3`, "matches takes a regular expression as a JSON string"},
		{`body matches "(("`, "bad regular expression"},
		{`body exists 3`, "exists takes no value"},
		{`body !exists true`, "!exists takes no value"},
		{`items[x] == 1`, "neither an array index nor a quoted key"},
		{`items[-1] == 1`, "neither an array index nor a quoted key"},
		{`items[0 == 1`, "missing ] in the path"},
		{`headers["a == 1`, "unterminated quoted key"},
		{`headers["a"x == 1`, `expected ] after "a"`},
		{`body. == 1`, "expected a name after the dot"},
		{`status == "sucess"`, `status is one of "succeeded"`},
		{`status == 1`, "status is one of"},
		{`status.code == 1`, "status has no fields; for a response field write response.status.code"},
		{`duration < fast`, "duration compares with a duration such as 500ms"},
		{`duration contains 1`, "duration takes ==, !=, <, <=, > or >=, not contains"},
		{`memory < lots`, "memory compares with a size such as 64MB"},
		{`memory matches "1"`, "memory takes"},
		{`body.elapsed < 500ms`, "a duration such as 500ms compares only with duration"},
		{`body.size < 64MB`, "a size such as 64MB compares only with memory"},
		{`cold == 1`, "cold takes == or != with true or false"},
		{`cold contains true`, "cold takes == or !="},
	}
	for _, tc := range cases {
		t.Run(tc.assertion, func(t *testing.T) {
			_, err := ParseAssertion(tc.assertion)
			if err == nil {
				t.Fatalf("ParseAssertion(%q) succeeded, want an error containing %q", tc.assertion, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestEvaluateResponse(t *testing.T) {
	cases := []struct {
		name     string
		expected string
		payload  string
		failures []string
	}{
		{"equal, other key order and spacing", `{"b": [1, 2], "a": {"x": true}}`, `{"a":{"x":true},"b":[1,2]}`, nil},
		{"numbers compared by value", `{"n": 1.0, "big": 12345678901234567890}`, `{"n":1,"big":12345678901234567890}`, nil},
		{"body as JSON, any key order", `{"statusCode":200,"body":"{\"b\":2,\"a\":1}"}`, `{"statusCode":200,"body":"{\"a\":1, \"b\":2}"}`, nil},
		{"body written as an object", `{"statusCode":200,"body":{"a":1}}`, `{"statusCode":200,"body":"{\"a\":1}"}`, nil},
		{"scalar difference", `{"body":"ok"}`, `{"body":"fail"}`, []string{`response at .body: expected "ok", got "fail"`}},
		{"inside the body", `{"body":"{\"a\":1}"}`, `{"body":"{\"a\":2}"}`, []string{`response at .body.a: expected 1, got 2`}},
		{"missing and extra keys", `{"a":1,"b":2}`, `{"a":1,"c":3}`, []string{
			`response at .b: missing, expected 2`, `response at .c: not expected, got 3`}},
		{"odd key names", `{"Content-Type":"a","x y":1}`, `{"Content-Type":"b","x y":1}`, []string{`response at .Content-Type: expected "a", got "b"`}},
		{"quoted key path", `{"x y":1}`, `{"x y":2}`, []string{`response at ["x y"]: expected 1, got 2`}},
		{"array length", `[1,2,3]`, `[1,2]`, []string{`response at .: expected 3 elements, got 2`}},
		{"array element", `{"items":[{"id":1},{"id":2}]}`, `{"items":[{"id":1},{"id":3}]}`, []string{`response at .items[1].id: expected 2, got 3`}},
		{"type mismatch", `{"a":{"b":1}}`, `{"a":"text"}`, []string{`response at .a: expected an object, got "text"`}},
		{"array vs object", `[1]`, `{"a":1}`, []string{`response at .: expected an array, got {"a":1}`}},
		{"null vs value", `null`, `{}`, []string{`response at .: expected null, got {}`}},
		{"empty payload is null", `null`, ``, nil},
		{"text payload is a string", `"streamed text"`, `streamed text`, nil},
		{"booleans", `{"ok":true}`, `{"ok":false}`, []string{`response at .ok: expected true, got false`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(&lambdadeck.Expectation{Response: json.RawMessage(tc.expected)}, succeeded(tc.payload))
			if res.Passed != (len(tc.failures) == 0) {
				t.Errorf("Passed = %v, failures %q", res.Passed, res.Failures)
			}
			if strings.Join(res.Failures, "\n") != strings.Join(tc.failures, "\n") {
				t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(res.Failures, "\n"), strings.Join(tc.failures, "\n"))
			}
		})
	}
}

func TestEvaluateResponseListsAtMostTenDifferences(t *testing.T) {
	var want, got strings.Builder
	want.WriteString("{")
	got.WriteString("{")
	for i := range 15 {
		if i > 0 {
			want.WriteString(",")
			got.WriteString(",")
		}
		want.WriteString(`"k` + string(rune('a'+i)) + `":1`)
		got.WriteString(`"k` + string(rune('a'+i)) + `":2`)
	}
	want.WriteString("}")
	got.WriteString("}")
	res := Evaluate(&lambdadeck.Expectation{Response: json.RawMessage(want.String())}, succeeded(got.String()))
	if len(res.Failures) != 11 || res.Failures[10] != "response: 5 more differences" {
		t.Errorf("failures = %q", res.Failures)
	}
}

func TestEvaluateContains(t *testing.T) {
	payload := `{"statusCode":200,"body":"{\"user\":{\"id\":7,\"name\":\"Ada\"},\"items\":[1,2,3]}","headers":{"a":"b"}}`
	cases := []struct {
		name     string
		contains string
		failures []string
	}{
		{"top-level subset", `{"statusCode":200}`, nil},
		{"nested subset inside the body", `{"body":{"user":{"name":"Ada"}}}`, nil},
		{"array prefix by index", `{"body":{"items":[1,2]}}`, nil},
		{"empty object", `{}`, nil},
		{"wrong value", `{"statusCode":201}`, []string{`contains at .statusCode: expected 201, got 200`}},
		{"missing key", `{"body":{"user":{"email":"x"}}}`, []string{`contains at .body.user.email: missing, expected "x"`}},
		{"array element differs", `{"body":{"items":[1,5]}}`, []string{`contains at .body.items[1]: expected 5, got 2`}},
		{"array too short", `{"body":{"items":[1,2,3,4]}}`, []string{`contains at .body.items: expected at least 4 elements, got 3`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(&lambdadeck.Expectation{Contains: json.RawMessage(tc.contains)}, succeeded(payload))
			if res.Passed != (len(tc.failures) == 0) || strings.Join(res.Failures, "\n") != strings.Join(tc.failures, "\n") {
				t.Errorf("passed %v, failures:\n%s\nwant:\n%s", res.Passed, strings.Join(res.Failures, "\n"), strings.Join(tc.failures, "\n"))
			}
		})
	}
}

func TestEvaluateCombines(t *testing.T) {
	exp := &lambdadeck.Expectation{
		Response:   json.RawMessage(`{"statusCode":500}`),
		Contains:   json.RawMessage(`{"statusCode":200}`),
		Assertions: []string{"statusCode == 200", "statusCode == 404", "statusCode = 1"},
	}
	res := Evaluate(exp, succeeded(`{"statusCode":200}`))
	want := []string{
		`response at .statusCode: expected 500, got 200`,
		`statusCode == 404: got 200`,
		`assertion "statusCode = 1" is malformed: unknown operator "=" after statusCode; use one of ==, !=, <, <=, >, >=, contains, matches, exists, !exists`,
	}
	if res.Passed || strings.Join(res.Failures, "\n") != strings.Join(want, "\n") {
		t.Errorf("result %+v\nwant failures:\n%s", res, strings.Join(want, "\n"))
	}
	if res := Evaluate(nil, timedOut()); !res.Passed || res.Failures != nil {
		t.Errorf("nil expectation: %+v", res)
	}
	res = Evaluate(&lambdadeck.Expectation{Response: json.RawMessage(`{`)}, succeeded(`{}`))
	if res.Passed || !strings.Contains(res.Failures[0], "the expected response is not valid JSON") {
		t.Errorf("broken expectation: %+v", res)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		exp  *lambdadeck.Expectation
		want string // "" for valid
	}{
		{"nil", nil, ""},
		{"empty", &lambdadeck.Expectation{}, ""},
		{"all parts", &lambdadeck.Expectation{Response: json.RawMessage(`{"a":1}`), Contains: json.RawMessage(`{}`), Assertions: []string{"a == 1", "duration < 2s"}}, ""},
		{"bad response", &lambdadeck.Expectation{Response: json.RawMessage(`{"a":}`)}, "the expected response is not valid JSON"},
		{"two documents", &lambdadeck.Expectation{Response: json.RawMessage(`{} {}`)}, "the expected response is not valid JSON"},
		{"bad contains", &lambdadeck.Expectation{Contains: json.RawMessage(`nope`)}, "the expected subset (contains) is not valid JSON"},
		{"bad assertion", &lambdadeck.Expectation{Assertions: []string{"a == 1", "b ~ 2"}}, `assertion 2 (b ~ 2): unknown operator "~"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.exp)
			if tc.want == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
				t.Errorf("Validate = %v (code %s), want EINVALID containing %q", err, lambdadeck.ErrorCode(err), tc.want)
			}
		})
	}
}

func TestSplitAssertionsAndEmpty(t *testing.T) {
	got := SplitAssertions("statusCode == 200\r\n\n  # a comment\n  body contains \"ok\"  \n")
	if strings.Join(got, "|") != `statusCode == 200|body contains "ok"` {
		t.Errorf("SplitAssertions = %q", got)
	}
	if !Empty(nil) || !Empty(&lambdadeck.Expectation{}) || Empty(&lambdadeck.Expectation{Assertions: []string{"a exists"}}) {
		t.Error("Empty is wrong")
	}
}

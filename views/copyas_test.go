package views

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShellQuoteRoundTrips hands quoted words to a real sh and checks each
// arrives as it was.
func TestShellQuoteRoundTrips(t *testing.T) {
	nasty := []string{
		"", "plain", "with space", "it's", "''", "'", `"double"`, `back\slash\`, "$HOME", "`id`", "$(id)",
		"!bang", "semi;colon", "a|b&c", "new\nline", "tab\there", "*?[glob]", "~user", "#comment", "-n", "--",
		`{"msg":"it's a \"test\" $(rm -rf /) ` + "`x`" + `","n":[1,2]}`, "ünïcødé ✓ 🚀", "\r\n", "a'b'c''d",
		"%s %d", "trailing\\", "=", "x=y z",
	}
	for _, s := range nasty {
		quoted := ShellQuote(s)
		out, err := exec.Command("sh", "-c", "printf '%s' "+quoted).Output()
		if err != nil {
			t.Errorf("sh rejected %s: %v", quoted, err)
			continue
		}
		if string(out) != s {
			t.Errorf("ShellQuote(%q) = %s arrives as %q", s, quoted, out)
		}
	}
	if ShellQuote("abc-1.2/x") != "abc-1.2/x" || ShellQuote("a b") != "'a b'" || ShellQuote("") != "''" {
		t.Errorf("bare and quoted forms are wrong")
	}
}

func TestCopyAsCommandsQuoteTheEvent(t *testing.T) {
	event := `{"q":"it's $(id)"}`
	c := NewCopyAs("http://127.0.0.1:8080", "hello", []byte(event), false, nil, []string{"DEBUG"}, false)
	for _, cmd := range []string{c.Lambdadeck, c.AWS, c.Curl} {
		if !strings.Contains(cmd, ShellQuote(event)) {
			t.Errorf("command lacks the quoted event: %s", cmd)
		}
	}
	if !strings.HasPrefix(c.AWS, "aws lambda invoke --endpoint-url http://127.0.0.1:8080 --function-name hello --cli-binary-format raw-in-base64-out --payload ") {
		t.Errorf("aws command = %s", c.AWS)
	}
	if !strings.Contains(c.Curl, "'http://127.0.0.1:8080/2015-03-31/functions/hello/invocations'") &&
		!strings.Contains(c.Curl, "http://127.0.0.1:8080/2015-03-31/functions/hello/invocations") {
		t.Errorf("curl command = %s", c.Curl)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "DEBUG") {
		t.Errorf("notes = %v", c.Notes)
	}
	big := NewCopyAs("http://h", "f", []byte(event), true, nil, nil, false)
	if !strings.Contains(big.AWS, "fileb://event.json") || !strings.Contains(big.Curl, "@event.json") || len(big.Notes) != 1 {
		t.Errorf("a cut event is read from a file: %+v", big)
	}
}

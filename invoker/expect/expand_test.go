package expect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestExpand(t *testing.T) {
	x := expander{
		now:     func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 800_000_000, time.FixedZone("x", 3600)) },
		newUUID: func() string { return "11111111-2222-3333-4444-555555555555" },
	}
	vars := map[string]string{"host": "api.dev.example", "quote": `say "hi"\now`, "n": "3", "uuid": "", "a.b-c_d": "dotted"}
	cases := []struct {
		name, event, want string
	}{
		{"no placeholders", `{"a": 1}`, `{"a": 1}`},
		{"variable", `{"url": "https://{{host}}/x"}`, `{"url": "https://api.dev.example/x"}`},
		{"spaces in braces", `{"url": "{{ host }}"}`, `{"url": "api.dev.example"}`},
		{"JSON-escaped", `{"s": "{{quote}}"}`, `{"s": "say \"hi\"\\now"}`},
		{"always a string", `{"n": "{{n}}"}`, `{"n": "3"}`},
		{"in keys", `{"{{n}}": true}`, `{"3": true}`},
		{"dotted names", `["{{a.b-c_d}}"]`, `["dotted"]`},
		{"vars override built-ins", `["{{uuid}}"]`, `[""]`},
		{"now, timestamp, date in UTC", `["{{now}}", "{{timestamp}}", "{{date}}"]`, `["2025-03-04T04:06:07Z", "1741061167800", "2025-03-04"]`},
		{"outside strings left alone", `{"a": "x"} {{host}}`, `{"a": "x"} {{host}}`},
		{"escaped quote keeps the string open", `{"a": "\"{{host}}\""}`, `{"a": "\"api.dev.example\""}`},
		{"not a name", `{"a": "{{ not a name }}", "b": "{{}}", "c": "{{1x}}"}`, `{"a": "{{ not a name }}", "b": "{{}}", "c": "{{1x}}"}`},
		{"triple braces", `{"a": "{{{host}}}"}`, `{"a": "{api.dev.example}"}`},
		{"unterminated", `{"a": "{{host"}`, `{"a": "{{host"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := x.expand([]byte(tc.event), vars)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("expand = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestExpandBuiltinsAndErrors(t *testing.T) {
	got, err := Expand([]byte(`{"id":"{{uuid}}","again":"{{uuid}}","at":"{{now}}","ms":"{{timestamp}}","day":"{{date}}"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("expanded event is not JSON: %v: %s", err, got)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(v["id"]) || v["again"] != v["id"] {
		t.Errorf("uuid = %q, again %q", v["id"], v["again"])
	}
	at, err := time.Parse(time.RFC3339, v["at"])
	if err != nil || !strings.HasSuffix(v["at"], "Z") || time.Since(at) > time.Minute {
		t.Errorf("now = %q (%v)", v["at"], err)
	}
	if !regexp.MustCompile(`^\d{13}$`).MatchString(v["ms"]) || v["day"] != at.Format(time.DateOnly) {
		t.Errorf("timestamp = %q, date = %q", v["ms"], v["day"])
	}

	_, err = Expand([]byte(`{"a":"{{host}}","b":"{{port}}","c":"{{host}}"}`), map[string]string{"stage": "dev"})
	if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID ||
		lambdadeck.ErrorMessage(err) != "unknown variables {{host}}, {{port}} in the event; known: date, now, stage, timestamp, uuid" {
		t.Errorf("unknown variables: %v", err)
	}
	_, err = Expand([]byte(`"{{x}}"`), nil)
	if lambdadeck.ErrorMessage(err) != "unknown variable {{x}} in the event; known: date, now, timestamp, uuid" {
		t.Errorf("unknown variable: %v", err)
	}
}

func TestReadEnvironmentFile(t *testing.T) {
	dir := t.TempDir()
	path := EnvironmentFile(filepath.Join(dir, "template.yaml"))
	if path != filepath.Join(dir, "lambdadeck.env.json") {
		t.Fatalf("EnvironmentFile = %s", path)
	}
	envs, err := ReadEnvironmentFile(path)
	if err != nil || envs != nil {
		t.Fatalf("missing file: %v, %v", envs, err)
	}

	os.WriteFile(path, []byte(`{"dev": {"host": "dev.example", "port": 8080, "debug": true, "none": null, "list": [1, 2]}, "stage": {}}`), 0o644)
	envs, err = ReadEnvironmentFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dev := envs["dev"]
	if dev["host"] != "dev.example" || dev["port"] != "8080" || dev["debug"] != "true" || dev["none"] != "" || dev["list"] != "[1,2]" {
		t.Errorf("dev = %v", dev)
	}
	if stage, ok := envs["stage"]; !ok || len(stage) != 0 {
		t.Errorf("stage = %v, %v", stage, ok)
	}

	for content, want := range map[string]string{
		`[1]`:                 "must be a JSON object of environments",
		`{"dev": "x"}`:        "must be a JSON object of environments",
		`{"1dev": {}}`:        `"1dev" is not a valid environment name`,
		`{"dev": {"a b": 1}}`: `environment dev: "a b" is not a valid variable name`,
	} {
		os.WriteFile(path, []byte(content), 0o644)
		_, err := ReadEnvironmentFile(path)
		if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want EINVALID containing %q", content, err, want)
		}
	}
}

package diff

import (
	"strconv"
	"strings"
	"testing"
)

func TestJSONChangesByPath(t *testing.T) {
	a := `{"statusCode":200,"body":{"items":[1,2],"name":"a/b","gone":true},"tilde~key":1}`
	b := `{"statusCode":500,"body":{"items":[1,2,3],"name":"a/b","new":{"x":null}},"tilde~key":1}`
	r := JSON([]byte(a), []byte(b))
	if !r.Comparable || r.Equal() {
		t.Fatalf("result %+v", r)
	}
	got := map[string]Change{}
	for _, c := range r.Changes {
		got[c.Path] = c
	}
	want := map[string]Change{
		"/statusCode":   {Kind: Changed, Path: "/statusCode", Old: "200", New: "500"},
		"/body/items/2": {Kind: Added, Path: "/body/items/2", New: "3"},
		"/body/gone":    {Kind: Removed, Path: "/body/gone", Old: "true"},
		"/body/new":     {Kind: Added, Path: "/body/new", New: `{"x":null}`},
	}
	if len(got) != len(want) {
		t.Errorf("changes %+v, want %+v", r.Changes, want)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("change at %s = %+v, want %+v", p, got[p], w)
		}
	}
}

func TestJSONPathEscapesAndRoot(t *testing.T) {
	r := JSON([]byte(`{"a/b":1,"c~d":2}`), []byte(`{"a/b":2,"c~d":3}`))
	paths := []string{}
	for _, c := range r.Changes {
		paths = append(paths, c.Path)
	}
	if strings.Join(paths, " ") != "/a~1b /c~0d" {
		t.Errorf("paths = %v, want RFC 6901 escapes", paths)
	}
	root := JSON([]byte(`"x"`), []byte(`[1]`))
	if len(root.Changes) != 1 || root.Changes[0].DisplayPath() != "(whole document)" || root.Changes[0].Kind != Changed {
		t.Errorf("root change = %+v", root.Changes)
	}
	if same := JSON([]byte(`{"a":1, "b":2}`), []byte("{\"b\":2,\n\"a\":1}")); !same.Equal() {
		t.Errorf("key order and spacing are not differences: %+v", same.Changes)
	}
	absent := JSON(nil, []byte(`{"a":1}`))
	if len(absent.Changes) != 1 || absent.Changes[0].Kind != Changed || absent.Changes[0].Old != "null" {
		t.Errorf("absent vs document: %+v", absent.Changes)
	}
}

func TestJSONFallsBackToLinesForText(t *testing.T) {
	r := JSON([]byte("hello\nworld"), []byte(`{"cut":`))
	if r.Comparable || r.Equal() || len(r.Lines) != 2 || r.Lines[0].Kind != Replaced {
		t.Errorf("text comparison: %+v", r)
	}
}

func TestJSONCapsChanges(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("{")
	b.WriteString("{")
	for i := range MaxChanges + 10 {
		if i > 0 {
			a.WriteString(",")
			b.WriteString(",")
		}
		a.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + `":1`)
		b.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + `":2`)
	}
	a.WriteString("}")
	b.WriteString("}")
	r := JSON([]byte(a.String()), []byte(b.String()))
	if len(r.Changes) != MaxChanges || r.More != 10 {
		t.Errorf("%d changes listed, %d more; want %d and 10", len(r.Changes), r.More, MaxChanges)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestNormaliseLog(t *testing.T) {
	for _, c := range [][2]string{
		{"START RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd Version: $LATEST", "START RequestId: <request-id> Version: $LATEST"},
		{"REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 101.50 ms",
			"REPORT RequestId: <request-id>\tDuration: <n> ms\tBilled Duration: <n> ms\tMemory Size: 128 MB\tMax Memory Used: <n> MB\tInit Duration: <n> ms"},
		{"2026-12-02T12:00:01.123Z\t8476a536-e9f4-11e8-9739-2dfe598c3fcd\tINFO\tuser 42 signed in", "<time>\t<request-id>\tINFO\tuser 42 signed in"},
		{`{"time":"2026-12-02T12:00:01.123Z","type":"platform.report","record":{"metrics":{"durationMs":1.5,"billedDurationMs":2,"maxMemoryUsedMB":40}}}`,
			`{"time":"<time>","type":"platform.report","record":{"metrics":{"durationMs":<n>,"billedDurationMs":<n>,"maxMemoryUsedMB":<n>}}}`},
		{"[INFO]\t2026-12-02 12:00:01,123+0000\tdone", "[INFO]\t<time>\tdone"},
		{"trace Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "trace <trace-id>"},
	} {
		if got := NormaliseLog(c[0]); got != c[1] {
			t.Errorf("NormaliseLog(%q)\n = %q\nwant %q", c[0], got, c[1])
		}
	}
}

func TestLogsShowOnlyRealDifferences(t *testing.T) {
	a := "START RequestId: 11111111-1111-1111-1111-111111111111 Version: $LATEST\n" +
		"2026-12-02T12:00:01.000Z\t11111111-1111-1111-1111-111111111111\tINFO\tgreeting world\n" +
		"END RequestId: 11111111-1111-1111-1111-111111111111\n" +
		"REPORT RequestId: 11111111-1111-1111-1111-111111111111\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\n"
	b := "START RequestId: 22222222-2222-2222-2222-222222222222 Version: $LATEST\n" +
		"2026-12-02T13:00:09.999Z\t22222222-2222-2222-2222-222222222222\tINFO\tgreeting moon\n" +
		"2026-12-02T13:00:09.999Z\t22222222-2222-2222-2222-222222222222\tWARN\textra\n" +
		"END RequestId: 22222222-2222-2222-2222-222222222222\n" +
		"REPORT RequestId: 22222222-2222-2222-2222-222222222222\tDuration: 9.99 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 44 MB\n"
	var kinds []string
	for _, l := range Logs(a, b) {
		kinds = append(kinds, string(l.Kind))
	}
	if got := strings.Join(kinds, ","); got != "same,replaced,inserted,same,same" {
		t.Errorf("rows %s, want only the message lines to differ", got)
	}
	rows := Logs(a, b)
	if !strings.Contains(rows[1].Left, "world") || !strings.Contains(rows[1].Right, "moon") || rows[0].Left == rows[0].Right {
		t.Errorf("rows show the original lines: %+v", rows[:2])
	}
}

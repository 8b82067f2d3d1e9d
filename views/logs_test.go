package views

import (
	"reflect"
	"strings"
	"testing"
)

func TestLogRecords(t *testing.T) {
	got := logRecords("START\nid\tINFO\tone\rtwo\rthree\nplain\r\nEND\n")
	want := []logRecord{
		{Text: "START\n"},
		{Text: "id\tINFO\tone\ntwo\nthree", Multi: true},
		{Text: "plain\r\nEND\n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("logRecords = %#v\nwant %#v", got, want)
	}
}

// BenchmarkLogRecords: a 256 KiB log of short lines (what a page shows at
// most) is split in one pass.
func BenchmarkLogRecords(b *testing.B) {
	logs := strings.Repeat("2025-01-01T00:00:00Z\tid\tINFO\ta line\n", 256*1024/37)
	for b.Loop() {
		logRecords(logs)
	}
}

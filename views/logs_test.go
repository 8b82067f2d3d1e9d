package views

import (
	"reflect"
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

package sam

import (
	"reflect"
	"testing"
)

func TestMergeGlobals(t *testing.T) {
	tests := []struct {
		name          string
		globals, prop map[string]any
		want          map[string]any
	}{
		{"scalar from globals", map[string]any{"Timeout": int64(5)}, map[string]any{}, map[string]any{"Timeout": int64(5)}},
		{"scalar in resource wins", map[string]any{"Timeout": int64(5)}, map[string]any{"Timeout": int64(9)}, map[string]any{"Timeout": int64(9)}},
		{"maps merge key by key",
			map[string]any{"Environment": map[string]any{"Variables": map[string]any{"A": "g", "B": "g"}}},
			map[string]any{"Environment": map[string]any{"Variables": map[string]any{"B": "r", "C": "r"}}},
			map[string]any{"Environment": map[string]any{"Variables": map[string]any{"A": "g", "B": "r", "C": "r"}}}},
		{"lists concatenate globals first",
			map[string]any{"Layers": []any{"g1", "g2"}}, map[string]any{"Layers": []any{"r1"}},
			map[string]any{"Layers": []any{"g1", "g2", "r1"}}},
		{"intrinsic in resource replaces a map",
			map[string]any{"Environment": map[string]any{"Variables": map[string]any{"A": "g"}}},
			map[string]any{"Environment": map[string]any{"Fn::If": []any{"C", "x", "y"}}},
			map[string]any{"Environment": map[string]any{"Fn::If": []any{"C", "x", "y"}}}},
		{"intrinsic in globals is replaced by a map",
			map[string]any{"Tags": map[string]any{"Ref": "P"}}, map[string]any{"Tags": map[string]any{"a": "b"}},
			map[string]any{"Tags": map[string]any{"a": "b"}}},
		{"different kinds: resource wins",
			map[string]any{"Layers": []any{"g"}}, map[string]any{"Layers": "r"}, map[string]any{"Layers": "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeGlobals(tt.globals, tt.prop); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

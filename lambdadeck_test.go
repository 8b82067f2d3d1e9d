package lambdadeck

import (
	"strings"
	"testing"
)

func TestValidVariableName(t *testing.T) {
	for name, want := range map[string]bool{
		"host": true, "_x": true, "a.b": true, "api-key": true, "X1": true,
		"": false, "1x": false, "-x": false, "a b": false, "a}": false, strings.Repeat("a", 129): false,
	} {
		if ValidVariableName(name) != want {
			t.Errorf("ValidVariableName(%q) = %v", name, !want)
		}
	}
}

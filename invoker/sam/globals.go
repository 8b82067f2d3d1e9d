package sam

// mergeGlobals returns a function's Properties with the template's
// Globals.Function applied the way SAM applies them
// (samtranslator/plugins/globals): a property missing from the resource is
// taken from Globals; maps merge key by key, recursively, with the resource
// winning; lists are concatenated, globals first; anything else (a scalar,
// an intrinsic, or two values of different kinds) is the resource's.
func mergeGlobals(globals, properties map[string]any) map[string]any {
	if len(globals) == 0 {
		return properties
	}
	merged, _ := mergeValue(globals, properties).(map[string]any)
	return merged
}

func mergeValue(global, local any) any {
	switch g := global.(type) {
	case map[string]any:
		l, ok := local.(map[string]any)
		if !ok || isIntrinsic(g) || isIntrinsic(l) {
			return local
		}
		out := make(map[string]any, len(g)+len(l))
		for k, v := range g {
			out[k] = v
		}
		for k, v := range l {
			if gv, ok := g[k]; ok {
				out[k] = mergeValue(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		l, ok := local.([]any)
		if !ok {
			return local
		}
		out := make([]any, 0, len(g)+len(l))
		out = append(out, g...)
		return append(out, l...)
	}
	return local
}

// isIntrinsic reports whether m is an intrinsic function, which SAM merges
// as a scalar.
func isIntrinsic(m map[string]any) bool {
	_, _, ok := intrinsic(m)
	return ok
}

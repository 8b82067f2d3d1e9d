package invoker

import (
	"sort"
	"strings"
)

// closeNames returns up to three of the names and logical IDs closest to
// name by edit distance (ignoring case), for a "did you mean" hint: those
// within a third of the name's length (at least 2 edits), or that contain
// it or are contained in it.
func closeNames(name string, names []string, aliases map[string]string) []string {
	type candidate struct {
		name string
		dist int
	}
	lower := strings.ToLower(name)
	limit := max(2, len(name)/3)
	seen := map[string]bool{}
	var found []candidate
	consider := func(c string) {
		if seen[c] || c == "" {
			return
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := editDistance(lower, lc)
		if d <= limit || (len(lower) >= 3 && (strings.Contains(lc, lower) || strings.Contains(lower, lc))) {
			found = append(found, candidate{c, d})
		}
	}
	for _, n := range names {
		consider(n)
	}
	for id := range aliases {
		consider(id)
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].dist != found[j].dist {
			return found[i].dist < found[j].dist
		}
		return found[i].name < found[j].name
	})
	var out []string
	for i := 0; i < len(found) && i < 3; i++ {
		out = append(out, found[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

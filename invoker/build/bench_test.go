package build

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCachedNPMBuild is what every cold start of an npm-built function
// pays once the build exists: hashing the code folder's file names, sizes
// and times and finding the build folder.
func BenchmarkCachedNPMBuild(b *testing.B) {
	if testing.Short() {
		b.Skip("runs npm")
	}
	dir := filepath.Join(b.TempDir(), "app")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := copyTree(filepath.Join("..", "testdata", "build", "npm-lock"), dir, nil); err != nil {
		b.Fatal(err)
	}
	bl, err := New(Config{StateDir: filepath.Join(b.TempDir(), ".lambdadeck")})
	if err != nil {
		b.Fatal(err)
	}
	fn := nodeFunction("bench", dir)
	if _, err := bl.Function(context.Background(), fn, Options{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := bl.Function(context.Background(), fn, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Package static embeds lambdadeck's stylesheets, scripts (htmx vendored, no
// CDN) and images, and serves them at content-hashed URLs so browsers can
// cache them forever: a changed file gets a new URL.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// files holds the assets. An embed.FS is read-only, so this is not mutable
// package state.
//
//go:embed css js vendor img
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
}

// Assets maps logical asset names ("css/app.css") to their content-hashed
// URLs ("/static/css/app.3f2a9c1b.css") and serves them. It is computed once
// by New and read-only afterwards.
type Assets struct {
	urls   map[string]string // logical name -> hashed URL
	byPath map[string]asset  // hashed path below Prefix -> content
}

// New reads every embedded file and computes its hashed URL.
func New() (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byPath: map[string]asset{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		hashed := hashedName(name, body)
		contentType := mime.TypeByExtension(path.Ext(name))
		if contentType == "" {
			contentType = http.DetectContentType(body)
		}
		a.urls[name] = Prefix + hashed
		a.byPath[hashed] = asset{body: body, contentType: contentType}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: read embedded assets: %w", err)
	}
	return a, nil
}

// hashedName inserts the first 8 hex digits of the content's SHA-256 before
// the extension: css/app.css -> css/app.3f2a9c1b.css.
func hashedName(name string, body []byte) string {
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:4])
	ext := path.Ext(name)
	if strings.HasSuffix(name, ".min.js") {
		ext = ".min.js"
	}
	return strings.TrimSuffix(name, ext) + "." + digest + ext
}

// URL returns the hashed URL of the named asset. An unknown name is a
// programming error in a template; it yields a URL that answers 404 so the
// page still renders and the mistake shows in the browser's console.
func (a *Assets) URL(name string) string {
	if u, ok := a.urls[name]; ok {
		return u
	}
	return Prefix + "missing/" + name
}

// Names lists the logical names of every asset.
func (a *Assets) Names() []string {
	names := make([]string, 0, len(a.urls))
	for n := range a.urls {
		names = append(names, n)
	}
	return names
}

// ServeHTTP serves an asset by its hashed path below Prefix, with a
// year-long immutable cache lifetime: the URL changes whenever the content
// does.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	f, ok := a.byPath[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The zero modtime leaves out Last-Modified; ServeContent still answers
	// Range and HEAD requests correctly.
	http.ServeContent(w, r, path.Base(name), time.Time{}, bytes.NewReader(f.body))
}

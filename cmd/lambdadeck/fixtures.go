package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/expect"
	"github.com/lambdadeck/lambdadeck/store"
)

// The on-disk layout of exported fixtures ("sam" format), as SAM keeps
// events:
//
//	events/<function>/<name>.json       the event, exactly as sent: sam local invoke -e works on it
//	events/<function>/<name>.meta.json  the rest of the fixture, only when there is any
//	events/_shared/<name>.json          shared fixtures (usable with any function)
//
// The sidecar holds description, tags, clientContext, identity, env and
// expectation, and name when the file name is not the fixture's name. It
// leaves out the author, the revision number and the times: those are the
// history of one database, and would make every teammate's export of the
// same content differ in git. Git keeps that history for the files.
const (
	sharedFolder  = "_shared"
	metaExtension = ".meta.json"
)

// fixtureMeta is the sidecar of an exported fixture.
type fixtureMeta struct {
	Name          string                      `json:"name,omitempty"`
	Description   string                      `json:"description,omitempty"`
	Tags          []string                    `json:"tags,omitempty"`
	ClientContext json.RawMessage             `json:"clientContext,omitempty"`
	Identity      *lambdadeck.CognitoIdentity `json:"identity,omitempty"`
	Env           map[string]string           `json:"env,omitempty"`
	Expectation   *lambdadeck.Expectation     `json:"expectation,omitempty"`
}

// Fixtures runs "lambdadeck fixtures list|export|import".
func (a *App) Fixtures(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(a.Stderr, fixturesUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "list":
		return a.listFixtures(ctx, rest)
	case "export":
		return a.exportFixtures(ctx, rest)
	case "import":
		return a.importFixtures(ctx, rest)
	case "help":
		fmt.Fprint(a.Stdout, fixturesUsage)
		return exitOK
	default:
		fmt.Fprintf(a.Stderr, "lambdadeck: unknown fixtures command %q\n\n%s", sub, fixturesUsage)
		return exitUsage
	}
}

const fixturesUsage = `Usage:
  lambdadeck fixtures list [--function F] [--db ...]
  lambdadeck fixtures export --dir events/ [--function F] [--db ...]
  lambdadeck fixtures export --format console --function F [--db ...] > events.json
  lambdadeck fixtures import --dir events/ [--function F] [--author A] [-t template.yaml] [--db ...]
  lambdadeck fixtures import --format console [--function F] [--author A] FILE

export writes one pretty-printed JSON file per fixture in SAM's layout,
events/<function>/<name>.json (shared fixtures in events/_shared/), with the
other fields in <name>.meta.json. import reads that layout back, or a plain
SAM events/*.json folder (as shared fixtures, or for --function F): new
files create fixtures, changed ones become new revisions, unchanged ones
are skipped. The console format is the Lambda console's shareable test
events document (an OpenAPI 3 document whose components.examples hold the
events).
`

func (a *App) listFixtures(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("fixtures list", "lambdadeck fixtures list [--function F] [--db ...]")
	c.register(fs)
	function := fs.String("function", "", "only this `function`'s fixtures (and the shared ones)")
	if _, err := parse(fs, args); err != nil {
		return a.fail(usageError(err))
	}
	db, err := c.openStore(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	list, err := db.ListFixtures(ctx, store.FixtureFilter{Function: *function})
	if err != nil {
		return a.fail(err)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFUNCTION\tNAME\tTAGS\tREVISION\tAUTHOR\tUPDATED")
	for _, f := range list {
		function := f.Function
		if function == "" {
			function = "(shared)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", f.ID, function, f.Name, strings.Join(f.Tags, ","),
			f.Revision, f.Author, f.UpdatedAt.Format("2006-01-02 15:04"))
	}
	tw.Flush()
	return exitOK
}

func (a *App) exportFixtures(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("fixtures export", "lambdadeck fixtures export --dir events/ [--function F] [--format sam|console] [--db ...]")
	c.register(fs)
	dir := fs.String("dir", "", "write the fixtures into `folder` (sam format)")
	function := fs.String("function", "", "only this `function`'s fixtures")
	format := fs.String("format", "sam", "`sam` (a folder of event files) or console (the Lambda console's shareable test events, on stdout)")
	if _, err := parse(fs, args); err != nil {
		return a.fail(usageError(err))
	}
	switch {
	case *format != "sam" && *format != "console":
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "unknown format %q; use sam or console", *format))
	case *format == "sam" && *dir == "":
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "export needs --dir"))
	case *format == "console" && *function == "":
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "the console format holds one function's events: give --function"))
	}
	db, err := c.openStore(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	fixtures, err := loadFixtures(ctx, db, *function)
	if err != nil {
		return a.fail(err)
	}
	if *format == "console" {
		doc, err := consoleDocument(fixtures)
		if err != nil {
			return a.fail(err)
		}
		a.Stdout.Write(doc)
		return exitOK
	}
	written, err := exportSAM(*dir, fixtures)
	if err != nil {
		return a.fail(err)
	}
	fmt.Fprintf(a.Stderr, "exported %d fixtures to %s (%d files changed)\n", len(fixtures), *dir, written)
	return exitOK
}

// loadFixtures returns every live fixture in full, or only function's
// (exactly: not the shared ones) when function is set.
func loadFixtures(ctx context.Context, db *store.DB, function string) ([]*lambdadeck.Fixture, error) {
	list, err := db.ListFixtures(ctx, store.FixtureFilter{Function: function})
	if err != nil {
		return nil, err
	}
	var out []*lambdadeck.Fixture
	for _, summary := range list {
		if function != "" && summary.Function != function {
			continue
		}
		f, err := db.Fixture(ctx, summary.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// exportSAM writes fixtures in the sam layout under dir and returns how
// many files it wrote; files whose content is already right are left
// untouched.
func exportSAM(dir string, fixtures []*lambdadeck.Fixture) (int, error) {
	byFolder := map[string][]*lambdadeck.Fixture{}
	for _, f := range fixtures {
		folder := f.Function
		if folder == "" {
			folder = sharedFolder
		}
		byFolder[folder] = append(byFolder[folder], f)
	}
	written := 0
	for folder, group := range byFolder {
		names := make([]string, len(group))
		for i, f := range group {
			names[i] = f.Name
		}
		stems := fileStems(names)
		for i, f := range group {
			event, err := prettyJSON(f.Event)
			if err != nil {
				return written, fmt.Errorf("fixture %q: %w", f.Name, err)
			}
			base := filepath.Join(dir, folder, stems[i])
			n, err := writeIfChanged(base+".json", event)
			written += n
			if err != nil {
				return written, err
			}
			meta := metaOf(f, stems[i])
			if meta == nil {
				if err := os.Remove(base + metaExtension); err == nil {
					written++
				} else if !errors.Is(err, os.ErrNotExist) {
					return written, err
				}
				continue
			}
			b, err := json.MarshalIndent(meta, "", "  ")
			if err != nil {
				return written, fmt.Errorf("fixture %q: %w", f.Name, err)
			}
			n, err = writeIfChanged(base+metaExtension, append(b, '\n'))
			written += n
			if err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// metaOf is the sidecar of f written as stem.json, or nil when f has
// nothing beyond its event.
func metaOf(f *lambdadeck.Fixture, stem string) *fixtureMeta {
	m := &fixtureMeta{
		Description: f.Description,
		Tags:        f.Tags,
		Identity:    f.Identity,
		Env:         f.Env,
		Expectation: f.Expectation,
	}
	if len(f.ClientContext) > 0 {
		m.ClientContext = f.ClientContext
	}
	if stem != f.Name {
		m.Name = f.Name
	}
	if m.Name == "" && m.Description == "" && len(m.Tags) == 0 && m.ClientContext == nil && m.Identity == nil &&
		len(m.Env) == 0 && m.Expectation == nil {
		return nil
	}
	return m
}

// prettyJSON indents a JSON document by two spaces, with a final newline.
func prettyJSON(b []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// writeIfChanged writes data to path (creating its folder) unless the file
// already holds exactly data; it reports 1 when it wrote. It writes a
// temporary file and renames it, so a reader never sees half a file.
func writeIfChanged(path string, data []byte) (int, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return 0, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lambdadeck-*.tmp")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	return 1, nil
}

// fileStems gives the fixtures named names (all in one folder) their file
// names without extension. The rule, stable for a given set of names:
//
//   - letters, digits, '-', '_' and '.' are kept; any other character
//     (space, slash, quote, control) becomes '_';
//   - a leading '.' becomes '_' (no hidden files), and so does the last '.'
//     of a name ending in ".meta" (which would read as a sidecar);
//   - Windows' device names (CON, NUL, COM1...) get a '_' appended;
//   - a name over 120 bytes is cut at 110 and given '-' and the first 8 hex
//     digits of the SHA-256 of the whole name;
//   - when stems coincide, ignoring case (as macOS and Windows do), each
//     fixture of them gets the same '-' and hash suffix, except the one
//     whose name is its stem exactly, if only one is.
//
// When the stem is not the name, the sidecar records the name.
func fileStems(names []string) []string {
	stems := make([]string, len(names))
	groups := map[string][]int{}
	for i, name := range names {
		stems[i] = fileStem(name)
		key := strings.ToLower(stems[i])
		groups[key] = append(groups[key], i)
	}
	for _, group := range groups {
		if len(group) < 2 {
			continue
		}
		exact := -1
		for _, i := range group {
			if stems[i] == names[i] {
				if exact >= 0 {
					exact = -2 // more than one: none keeps the plain stem
					break
				}
				exact = i
			}
		}
		for _, i := range group {
			if i != exact {
				stems[i] += "-" + nameHash(names[i])
			}
		}
	}
	return stems
}

// fileStem is a fixture name made file-safe; see fileStems.
func fileStem(name string) string {
	var b strings.Builder
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	stem := b.String()
	if strings.HasPrefix(stem, ".") {
		stem = "_" + stem[1:]
	}
	if strings.HasSuffix(strings.ToLower(stem), ".meta") {
		stem = stem[:len(stem)-len(".meta")] + "_meta"
	}
	if isWindowsDeviceName(stem) {
		stem += "_"
	}
	if len(stem) > 120 {
		cut := 110
		for !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = stem[:cut] + "-" + nameHash(name)
	}
	if stem == "" {
		stem = "_"
	}
	return stem
}

func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:4])
}

func isWindowsDeviceName(stem string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(stem), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '1' && base[3] <= '9'
}

// importReport collects the outcome of an import, file by file.
type importReport struct {
	created, updated, unchanged int
	failures                    []string // "path: reason"
}

func (r *importReport) fail(path string, err error) {
	r.failures = append(r.failures, path+": "+errorText(err))
}

// errorText is the user-safe text of err.
func errorText(err error) string {
	var le *lambdadeck.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return err.Error()
}

func (a *App) importFixtures(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("fixtures import", "lambdadeck fixtures import --dir events/ [--function F] [--author A] [--format sam|console] [-t template.yaml] [--db ...] [FILE]")
	c.register(fs)
	dir := fs.String("dir", "", "read fixtures from `folder` (sam format)")
	function := fs.String("function", "", "import for this `function`: a plain events/*.json folder, or only its subfolder")
	author := fs.String("author", os.Getenv("USER"), "the `name` the new revisions are saved under")
	format := fs.String("format", "sam", "`sam` (a folder of event files) or console (the Lambda console's shareable test events FILE)")
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	switch {
	case *format != "sam" && *format != "console":
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "unknown format %q; use sam or console", *format))
	case *format == "sam" && (*dir == "" || len(pos) > 0):
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "import needs --dir and no other arguments"))
	case *format == "console" && len(pos) != 1:
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "import --format console takes one file"))
	}
	p, err := c.loadProject()
	if err != nil {
		return a.fail(err)
	}
	known := map[string]bool{}
	for _, fn := range p.functions {
		known[fn.Name] = true
	}
	if *function != "" && !known[*function] {
		return a.fail(lambdadeck.Errorf(lambdadeck.ENOTFOUND, "unknown function %s: it is not in %s", *function, p.templatePath))
	}
	db, err := c.openStore(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()

	imp := &importer{db: db, author: *author, functions: p.functions, known: known, seen: map[string]string{}}
	if *format == "console" {
		imp.consoleFile(ctx, pos[0], *function)
	} else {
		imp.samDir(ctx, *dir, *function)
	}
	r := imp.report
	for _, f := range r.failures {
		fmt.Fprintln(a.Stderr, f)
	}
	fmt.Fprintf(a.Stdout, "%d created, %d updated, %d unchanged, %d failed\n", r.created, r.updated, r.unchanged, len(r.failures))
	if len(r.failures) > 0 {
		return exitFunction
	}
	return exitOK
}

// errSymlink refuses a symbolic link in the folder being imported: it
// could point anywhere on the machine.
var errSymlink = errors.New("a symbolic link: fixtures import reads only regular files inside its folder, and does not follow links")

// isDirLink reports whether path is a link to a folder.
func isDirLink(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// checkOverrides applies the invoker's rule for environment overrides to
// an imported fixture: its function's, or, for a shared one, every
// function's.
func (imp *importer) checkOverrides(f *lambdadeck.Fixture) error {
	if f.Function == "" {
		return invoker.CheckSharedOverrides(imp.functions, f.Env)
	}
	for _, fn := range imp.functions {
		if fn.Name == f.Function {
			return invoker.CheckOverrides(fn, f.Env)
		}
	}
	return nil
}

// importer saves imported fixtures one at a time, each in its own
// transaction (the store's), and reports per file.
type importer struct {
	db        *store.DB
	author    string
	functions []lambdadeck.Function
	known     map[string]bool   // the template's functions
	seen      map[string]string // function + "\x00" + name -> the file it came from
	report    importReport
}

// samDir imports a folder in the sam layout: subfolders per function (or
// _shared), and plain *.json files at the top, which are shared fixtures or
// function's.
func (imp *importer) samDir(ctx context.Context, dir, function string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		imp.report.fail(dir, err)
		return
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 && (strings.HasSuffix(e.Name(), ".json") || isDirLink(path)) {
			imp.report.fail(path, errSymlink)
			continue
		}
		if !e.IsDir() {
			continue
		}
		folderFunction := e.Name()
		if folderFunction == sharedFolder {
			folderFunction = ""
		} else if function != "" && folderFunction != function {
			continue
		}
		files, err := os.ReadDir(path)
		if err != nil {
			imp.report.fail(path, err)
			continue
		}
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			filePath := filepath.Join(path, f.Name())
			if f.Type()&fs.ModeSymlink != 0 && !strings.HasSuffix(f.Name(), metaExtension) {
				// (A linked sidecar is reported with its event file.)
				imp.report.fail(filePath, errSymlink)
				continue
			}
			if folderFunction != "" && !imp.known[folderFunction] {
				if !strings.HasSuffix(f.Name(), metaExtension) {
					imp.report.fail(filePath, fmt.Errorf("unknown function %s: no function of that name in the template", folderFunction))
				}
				continue
			}
			imp.samFile(ctx, filePath, folderFunction)
		}
	}
	// Top-level files: a plain SAM events folder.
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		imp.samFile(ctx, filepath.Join(dir, e.Name()), function)
	}
}

// samFile imports one event file (and its sidecar) of function.
func (imp *importer) samFile(ctx context.Context, path, function string) {
	if strings.HasSuffix(path, metaExtension) {
		event := strings.TrimSuffix(path, metaExtension) + ".json"
		if _, err := os.Stat(event); errors.Is(err, os.ErrNotExist) {
			imp.report.fail(path, fmt.Errorf("a sidecar without its event file %s", filepath.Base(event)))
		}
		return
	}
	event, err := readJSONFile(path)
	if err != nil {
		imp.report.fail(path, err)
		return
	}
	f := &lambdadeck.Fixture{
		Function: function,
		Name:     strings.TrimSuffix(filepath.Base(path), ".json"),
		Event:    event,
	}
	metaPath := strings.TrimSuffix(path, ".json") + metaExtension
	if st, err := os.Lstat(metaPath); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		imp.report.fail(metaPath, errSymlink)
		return
	}
	if data, err := readJSONFile(metaPath); err == nil {
		var meta fixtureMeta
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&meta); err != nil {
			imp.report.fail(metaPath, fmt.Errorf("not a fixture sidecar: %v", err))
			return
		}
		if meta.Name != "" {
			f.Name = meta.Name
		}
		f.Description, f.Tags, f.Identity, f.Env, f.Expectation = meta.Description, meta.Tags, meta.Identity, meta.Env, meta.Expectation
		f.ClientContext = compactJSON(meta.ClientContext)
		// A malformed assertion is refused here, as the dashboard's form
		// refuses it, rather than failing every later test run; so are
		// overrides that no run would accept.
		if err := expect.Validate(f.Expectation); err != nil {
			imp.report.fail(metaPath, err)
			return
		}
		if err := imp.checkOverrides(f); err != nil {
			imp.report.fail(metaPath, err)
			return
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		imp.report.fail(metaPath, err)
		return
	}
	imp.save(ctx, path, f)
}

// save creates f, or makes it a new revision of the live fixture of the
// same function and name when its content differs.
func (imp *importer) save(ctx context.Context, path string, f *lambdadeck.Fixture) {
	f.Author = imp.author
	key := f.Function + "\x00" + strings.TrimSpace(f.Name)
	if other, dup := imp.seen[key]; dup {
		imp.report.fail(path, fmt.Errorf("name clash: %s already imported fixture %q in this run", other, f.Name))
		return
	}
	imp.seen[key] = path
	existing, err := imp.db.FixtureByName(ctx, f.Function, f.Name)
	switch {
	case lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND:
		if err := imp.db.CreateFixture(ctx, f); err != nil {
			imp.report.fail(path, err)
			return
		}
		imp.report.created++
		return
	case err != nil:
		imp.report.fail(path, err)
		return
	}
	// The file's JSON may be laid out differently from the stored text:
	// only a change of content is a new revision.
	if bytes.Equal(compactJSON(f.Event), compactJSON(existing.Event)) {
		f.Event = existing.Event
	}
	if bytes.Equal(compactJSON(f.ClientContext), compactJSON(existing.ClientContext)) {
		f.ClientContext = existing.ClientContext
	}
	f.ID = existing.ID
	if err := imp.db.UpdateFixture(ctx, f, existing.Revision); err != nil {
		imp.report.fail(path, err)
		return
	}
	if f.Revision == existing.Revision {
		imp.report.unchanged++
	} else {
		imp.report.updated++
	}
}

// readJSONFile reads a JSON file of at most 6 MB; invalid JSON is an error
// naming the line and column.
func readJSONFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lambdadeck.MaxSyncPayload+1))
	if err != nil {
		return nil, err
	}
	if len(data) > lambdadeck.MaxSyncPayload {
		return nil, fmt.Errorf("over Lambda's 6 MB limit")
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("not valid UTF-8, which Lambda refuses in an event")
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineColumn(data, se.Offset)
			return nil, fmt.Errorf("not JSON: line %d, column %d: %v", line, col, se)
		}
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return bytes.TrimSpace(data), nil
}

// compactJSON is b without insignificant white space, or nil for nothing.
func compactJSON(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return b
	}
	return out.Bytes()
}

// The Lambda console's shareable test events live in the EventBridge
// schema registry, one OpenAPI 3.0 document per function, whose
// components.examples are the events by name. "fixtures export --format
// console" writes such a document and "import --format console" reads one;
// the console keeps nothing but the events, so the other fields of a
// fixture do not travel. An example:
//
//	{
//	  "openapi": "3.0.0",
//	  "info": {"version": "1.0.0", "title": "Event"},
//	  "paths": {},
//	  "components": {
//	    "schemas": {
//	      "Event": {
//	        "type": "object",
//	        "required": ["name"],
//	        "properties": {"name": {"type": "string"}}
//	      }
//	    },
//	    "examples": {
//	      "greet-ada": {"value": {"name": "Ada"}},
//	      "greet-grace": {"value": {"name": "Grace"}}
//	    }
//	  }
//	}
//
// lambdadeck writes the schema of the first event, as the console infers
// one; on import the schema is ignored.
type consoleDoc struct {
	OpenAPI    string            `json:"openapi"`
	Info       consoleInfo       `json:"info"`
	Paths      map[string]any    `json:"paths"`
	Components consoleComponents `json:"components"`
}

type consoleInfo struct {
	Version string `json:"version"`
	Title   string `json:"title"`
}

type consoleComponents struct {
	Schemas  map[string]any            `json:"schemas"`
	Examples map[string]consoleExample `json:"examples"`
}

type consoleExample struct {
	Value json.RawMessage `json:"value"`
}

// consoleDocument is the console's shareable test events document of
// fixtures, pretty-printed.
func consoleDocument(fixtures []*lambdadeck.Fixture) ([]byte, error) {
	doc := consoleDoc{
		OpenAPI: "3.0.0",
		Info:    consoleInfo{Version: "1.0.0", Title: "Event"},
		Paths:   map[string]any{},
		Components: consoleComponents{
			Schemas:  map[string]any{"Event": map[string]any{"type": "object"}},
			Examples: map[string]consoleExample{},
		},
	}
	for i, f := range fixtures {
		if i == 0 {
			var v any
			if err := json.Unmarshal(f.Event, &v); err == nil {
				doc.Components.Schemas["Event"] = schemaOf(v)
			}
		}
		doc.Components.Examples[f.Name] = consoleExample{Value: f.Event}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// schemaOf infers an OpenAPI schema from a decoded JSON value, as the
// console does for the first event.
func schemaOf(v any) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		props := map[string]any{}
		required := make([]string, 0, len(v))
		for k, child := range v {
			props[k] = schemaOf(child)
			required = append(required, k)
		}
		sort.Strings(required)
		return map[string]any{"type": "object", "required": required, "properties": props}
	case []any:
		s := map[string]any{"type": "array"}
		if len(v) > 0 {
			s["items"] = schemaOf(v[0])
		}
		return s
	case string:
		return map[string]any{"type": "string"}
	case float64:
		return map[string]any{"type": "number"}
	case bool:
		return map[string]any{"type": "boolean"}
	}
	return map[string]any{"nullable": true}
}

// consoleFile imports the examples of a console document as fixtures of
// function (shared when empty).
func (imp *importer) consoleFile(ctx context.Context, path, function string) {
	data, err := readJSONFile(path)
	if err != nil {
		imp.report.fail(path, err)
		return
	}
	var doc consoleDoc
	if err := json.Unmarshal(data, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		imp.report.fail(path, fmt.Errorf("not the Lambda console's test events document (an OpenAPI 3 document with components.examples)"))
		return
	}
	names := make([]string, 0, len(doc.Components.Examples))
	for name := range doc.Components.Examples {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		where := path + "#/components/examples/" + name
		event := doc.Components.Examples[name].Value
		if len(bytes.TrimSpace(event)) == 0 {
			imp.report.fail(where, fmt.Errorf("the example has no value"))
			continue
		}
		imp.save(ctx, where, &lambdadeck.Fixture{Function: function, Name: name, Event: compactJSON(event)})
	}
}

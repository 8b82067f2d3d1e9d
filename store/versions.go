package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/lambdadeck/lambdadeck"
)

// versionColumns are the invocation's configuration snapshot and code
// version (migration 0015), written after invocationColumns.
const versionColumns = `config_id, code_version_id`

// versionIDs interns configuration snapshots and code versions: each
// distinct one is a row of its table, found by its hash, whose id the
// invocations carry. The ids are remembered, so recording an invocation of
// a known snapshot costs a hash and a map lookup, not a statement.
type versionIDs struct {
	mu     sync.Mutex
	config map[string]int64
	code   map[string]int64
}

// rowArgs returns invocationArgs(inv) followed by the ids of inv's
// configuration snapshot and code version (NULL when absent), interning
// them first. It must run outside any transaction of db.write: interning
// writes on that connection.
func (db *DB) rowArgs(ctx context.Context, inv *lambdadeck.Invocation) ([]any, error) {
	args, err := invocationArgs(inv)
	if err != nil {
		return nil, err
	}
	configID, codeID, err := db.internVersions(ctx, inv.Config, inv.Code)
	if err != nil {
		return nil, err
	}
	return append(args, configID, codeID), nil
}

// internVersions returns the row ids of cfg and code (nil for absent ones).
func (db *DB) internVersions(ctx context.Context, cfg *lambdadeck.RunConfig, code *lambdadeck.CodeVersion) (configID, codeID any, err error) {
	if cfg != nil {
		doc, err := json.Marshal(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("store: encode configuration: %w", err)
		}
		id, err := db.intern(ctx, db.versions.configMap(), hashOf(doc),
			`INSERT INTO config_snapshots (hash, snapshot) VALUES (?, ?)
			ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING id`, string(doc))
		if err != nil {
			return nil, nil, err
		}
		configID = id
	}
	if code != nil && (code.Commit != "" || code.ContentHash != "") {
		h := hashOf([]byte(code.Commit + "\x00" + strconv.FormatBool(code.Dirty) + "\x00" + code.ContentHash))
		id, err := db.intern(ctx, db.versions.codeMap(), h,
			`INSERT INTO code_versions (hash, key, commit_id, dirty, content_hash) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING id`,
			code.Key(), code.Commit, code.Dirty, code.ContentHash)
		if err != nil {
			return nil, nil, err
		}
		codeID = id
	}
	return configID, codeID, nil
}

func (v *versionIDs) configMap() map[string]int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.config == nil {
		v.config = map[string]int64{}
	}
	return v.config
}

func (v *versionIDs) codeMap() map[string]int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.code == nil {
		v.code = map[string]int64{}
	}
	return v.code
}

// intern returns the id of the row with hash h in m's table, inserting it
// with insertSQL (hash first, then args) when it is not known yet.
func (db *DB) intern(ctx context.Context, m map[string]int64, h, insertSQL string, args ...any) (int64, error) {
	db.versions.mu.Lock()
	id, ok := m[h]
	db.versions.mu.Unlock()
	if ok {
		return id, nil
	}
	if err := db.write.QueryRowContext(ctx, insertSQL, append([]any{h}, args...)...).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: record configuration or code version: %w", err)
	}
	db.versions.mu.Lock()
	m[h] = id
	db.versions.mu.Unlock()
	return id, nil
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// attachVersions sets the Config and Code of each invocation that has them,
// in one query.
func (db *DB) attachVersions(ctx context.Context, invs []*lambdadeck.Invocation) error {
	if len(invs) == 0 {
		return nil
	}
	byID, idList, err := idsOf(invs)
	if err != nil {
		return err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT i.id, c.snapshot, v.commit_id, v.dirty, v.content_hash
		FROM invocations AS i
		LEFT JOIN config_snapshots AS c ON c.id = i.config_id
		LEFT JOIN code_versions AS v ON v.id = i.code_version_id
		WHERE i.id IN (SELECT value FROM json_each(?))
			AND (i.config_id IS NOT NULL OR i.code_version_id IS NOT NULL)`, idList)
	if err != nil {
		return fmt.Errorf("store: configuration snapshots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var snapshot, commit, contentHash sql.NullString
		var dirty sql.NullBool
		if err := rows.Scan(&id, &snapshot, &commit, &dirty, &contentHash); err != nil {
			return fmt.Errorf("store: configuration snapshots: %w", err)
		}
		inv := byID[id]
		if snapshot.Valid {
			var cfg lambdadeck.RunConfig
			if err := json.Unmarshal([]byte(snapshot.String), &cfg); err != nil {
				return fmt.Errorf("store: decode configuration snapshot of %s: %w", inv.RequestID, err)
			}
			inv.Config = &cfg
		}
		if commit.Valid {
			inv.Code = &lambdadeck.CodeVersion{Commit: commit.String, Dirty: dirty.Bool, ContentHash: contentHash.String}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: configuration snapshots: %w", err)
	}
	return nil
}

// attachImports sets Imported on each invocation brought in by an import,
// in one query.
func (db *DB) attachImports(ctx context.Context, invs []*lambdadeck.Invocation) error {
	if len(invs) == 0 {
		return nil
	}
	byID, idList, err := idsOf(invs)
	if err != nil {
		return err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT invocation_id, server, exported_at, imported_at
		FROM invocation_imports WHERE invocation_id IN (SELECT value FROM json_each(?))`, idList)
	if err != nil {
		return fmt.Errorf("store: imported invocations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, exported, imported int64
		var server string
		if err := rows.Scan(&id, &server, &exported, &imported); err != nil {
			return fmt.Errorf("store: imported invocations: %w", err)
		}
		byID[id].Imported = &lambdadeck.ImportOrigin{Server: server, ExportedAt: fromMicros(exported), ImportedAt: fromMicros(imported)}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: imported invocations: %w", err)
	}
	return nil
}

// idsOf indexes invs by row id and lists the ids as a JSON array for
// json_each.
func idsOf(invs []*lambdadeck.Invocation) (map[int64]*lambdadeck.Invocation, string, error) {
	byID := make(map[int64]*lambdadeck.Invocation, len(invs))
	ids := make([]int64, 0, len(invs))
	for _, inv := range invs {
		byID[inv.ID] = inv
		ids = append(ids, inv.ID)
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, "", fmt.Errorf("store: %w", err)
	}
	return byID, string(b), nil
}

// PreviousInvocation returns the request id of the run of the same
// function that started just before the invocation with the given request
// id; ENOTFOUND when there is none.
func (db *DB) PreviousInvocation(ctx context.Context, requestID string) (string, error) {
	var function string
	var startedAt, id int64
	err := db.read.QueryRowContext(ctx, `SELECT function, started_at, id FROM invocations WHERE request_id = ?`, requestID).
		Scan(&function, &startedAt, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound(requestID)
	} else if err != nil {
		return "", fmt.Errorf("store: previous invocation of %s: %w", requestID, err)
	}
	var prev string
	err = db.read.QueryRowContext(ctx, `SELECT request_id FROM invocations
		WHERE function = ? AND (started_at, id) < (?, ?) ORDER BY started_at DESC, id DESC LIMIT 1`,
		function, startedAt, id).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", lambdadeck.Errorf(lambdadeck.ENOTFOUND, "invocation %s is the first recorded run of %s: there is no previous run to compare with", requestID, function)
	} else if err != nil {
		return "", fmt.Errorf("store: previous invocation of %s: %w", requestID, err)
	}
	return prev, nil
}

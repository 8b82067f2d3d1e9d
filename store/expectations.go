package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// setExpectationResultSQL stores a verdict for the invocation with a
// request id, copying its fixture id; a second verdict replaces the first.
const setExpectationResultSQL = `INSERT INTO expectation_results (invocation_id, fixture_id, evaluated_at, passed, result)
	SELECT id, fixture_id, ?, ?, ? FROM invocations WHERE request_id = ?
	ON CONFLICT (invocation_id) DO UPDATE SET
		evaluated_at = excluded.evaluated_at, passed = excluded.passed, result = excluded.result`

// SetExpectationResult stores the verdict of the fixture's expectation on
// the invocation with requestID, replacing an earlier one. An unknown
// request id is ENOTFOUND.
func (db *DB) SetExpectationResult(ctx context.Context, requestID string, result lambdadeck.ExpectationResult) error {
	doc, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("store: encode expectation result: %w", err)
	}
	res, err := db.write.ExecContext(ctx, setExpectationResultSQL, nowMicros(), result.Passed, string(doc), requestID)
	if err != nil {
		return fmt.Errorf("store: set expectation result of %s: %w", requestID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: set expectation result of %s: %w", requestID, err)
	}
	if n == 0 {
		return notFound(requestID)
	}
	return nil
}

// ExpectationResult returns the verdict stored for the invocation with
// requestID. An unknown invocation, or one without a verdict, is ENOTFOUND.
func (db *DB) ExpectationResult(ctx context.Context, requestID string) (*lambdadeck.ExpectationResult, error) {
	var doc string
	err := db.read.QueryRowContext(ctx, `SELECT e.result FROM expectation_results AS e
		JOIN invocations AS i ON i.id = e.invocation_id WHERE i.request_id = ?`, requestID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no expectation result for invocation %q", requestID)
	} else if err != nil {
		return nil, fmt.Errorf("store: expectation result of %s: %w", requestID, err)
	}
	return decodeExpectationResult(doc)
}

func decodeExpectationResult(doc string) (*lambdadeck.ExpectationResult, error) {
	var r lambdadeck.ExpectationResult
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("store: decode expectation result: %w", err)
	}
	return &r, nil
}

// attachExpectationResults sets the Expectation of each invocation that has
// a stored verdict, in one query.
func (db *DB) attachExpectationResults(ctx context.Context, invs []*lambdadeck.Invocation) error {
	if len(invs) == 0 {
		return nil
	}
	byID := make(map[int64]*lambdadeck.Invocation, len(invs))
	ids := make([]int64, 0, len(invs))
	for _, inv := range invs {
		byID[inv.ID] = inv
		ids = append(ids, inv.ID)
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("store: expectation results: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT invocation_id, result FROM expectation_results
		WHERE invocation_id IN (SELECT value FROM json_each(?))`, string(idList))
	if err != nil {
		return fmt.Errorf("store: expectation results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return fmt.Errorf("store: expectation results: %w", err)
		}
		r, err := decodeExpectationResult(doc)
		if err != nil {
			return err
		}
		byID[id].Expectation = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: expectation results: %w", err)
	}
	return nil
}

// FixtureResult is the latest verdict on one fixture.
type FixtureResult struct {
	FixtureID   int64
	RequestID   string
	Function    string
	Status      lambdadeck.Status
	EvaluatedAt time.Time
	Result      lambdadeck.ExpectationResult
}

// latestFixtureResultsSQL takes, per fixture, the row with the latest
// evaluated_at: SQLite gives the bare columns of an aggregate query with
// max() the values of the row that holds the maximum.
const latestFixtureResultsSQL = `SELECT e.fixture_id, max(e.evaluated_at), e.result, i.request_id, i.function, i.status
	FROM expectation_results AS e JOIN invocations AS i ON i.id = e.invocation_id
	WHERE e.fixture_id IS NOT NULL GROUP BY e.fixture_id`

// LatestFixtureResults returns the latest verdict of every fixture that
// has one, by fixture id.
func (db *DB) LatestFixtureResults(ctx context.Context) (map[int64]FixtureResult, error) {
	rows, err := db.read.QueryContext(ctx, latestFixtureResultsSQL)
	if err != nil {
		return nil, fmt.Errorf("store: latest fixture results: %w", err)
	}
	defer rows.Close()
	out := map[int64]FixtureResult{}
	for rows.Next() {
		var fr FixtureResult
		var at int64
		var doc, status string
		if err := rows.Scan(&fr.FixtureID, &at, &doc, &fr.RequestID, &fr.Function, &status); err != nil {
			return nil, fmt.Errorf("store: latest fixture results: %w", err)
		}
		r, err := decodeExpectationResult(doc)
		if err != nil {
			return nil, err
		}
		fr.Result, fr.EvaluatedAt, fr.Status = *r, fromMicros(at), lambdadeck.Status(status)
		out[fr.FixtureID] = fr
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: latest fixture results: %w", err)
	}
	return out, nil
}

// Environment is a named set of variables for {{placeholders}} in events.
type Environment struct {
	Name      string
	Variables map[string]string
	UpdatedAt time.Time
}

// MaxEnvironmentVariables bounds the variables of one environment.
const MaxEnvironmentVariables = 200

// Environments returns every stored environment, by name.
func (db *DB) Environments(ctx context.Context) ([]Environment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, variables, updated_at FROM environments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: environments: %w", err)
	}
	defer rows.Close()
	var out []Environment
	for rows.Next() {
		env, err := scanEnvironment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *env)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: environments: %w", err)
	}
	return out, nil
}

// Environment returns the named environment; an unknown name is ENOTFOUND.
func (db *DB) Environment(ctx context.Context, name string) (*Environment, error) {
	row := db.read.QueryRowContext(ctx, `SELECT name, variables, updated_at FROM environments WHERE name = ?`, name)
	env, err := scanEnvironment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no environment named %q", name)
	}
	return env, err
}

func scanEnvironment(row interface{ Scan(...any) error }) (*Environment, error) {
	var env Environment
	var vars string
	var at int64
	if err := row.Scan(&env.Name, &vars, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("store: environment: %w", err)
	}
	if err := json.Unmarshal([]byte(vars), &env.Variables); err != nil {
		return nil, fmt.Errorf("store: decode environment %s: %w", env.Name, err)
	}
	env.UpdatedAt = fromMicros(at)
	return &env, nil
}

// SaveEnvironment creates or replaces the environment env.Name with its
// variables and sets env.UpdatedAt. Names (of the environment and of each
// variable) start with a letter or _, then letters, digits, _, - and dots,
// as {{placeholders}} allow; anything else is EINVALID.
func (db *DB) SaveEnvironment(ctx context.Context, env *Environment) error {
	env.Name = strings.TrimSpace(env.Name)
	if !lambdadeck.ValidVariableName(env.Name) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%q is not a valid environment name: use a letter or _, then letters, digits, _, - or .", env.Name)
	}
	if len(env.Variables) > MaxEnvironmentVariables {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "environment %s has %d variables; the limit is %d", env.Name, len(env.Variables), MaxEnvironmentVariables)
	}
	for k, v := range env.Variables {
		if !lambdadeck.ValidVariableName(k) {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "%q is not a valid variable name: use a letter or _, then letters, digits, _, - or .", k)
		}
		if !utf8.ValidString(v) {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "variable %s is not valid UTF-8", k)
		}
	}
	vars := env.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	doc, err := json.Marshal(vars) // map keys marshal sorted
	if err != nil {
		return fmt.Errorf("store: encode environment %s: %w", env.Name, err)
	}
	now := nowMicros()
	if _, err := db.write.ExecContext(ctx, `INSERT INTO environments (name, variables, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET variables = excluded.variables, updated_at = excluded.updated_at`,
		env.Name, string(doc), now); err != nil {
		return fmt.Errorf("store: save environment %s: %w", env.Name, err)
	}
	env.UpdatedAt = fromMicros(now)
	return nil
}

// DeleteEnvironment deletes the named environment; an unknown name is
// ENOTFOUND.
func (db *DB) DeleteEnvironment(ctx context.Context, name string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM environments WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("store: delete environment %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: delete environment %s: %w", name, err)
	} else if n == 0 {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no environment named %q", name)
	}
	return nil
}

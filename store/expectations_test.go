package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestExpectationResults(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	fx := mustCreate(t, db, newFixture("api", "ok", `{}`))

	begin := func(requestID string, fixtureID int64, at time.Time) {
		t.Helper()
		inv := newInvocation(requestID, "api", at)
		inv.FixtureID = fixtureID
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	begin("r1", fx.ID, t0)
	begin("r2", fx.ID, t0.Add(time.Second))
	begin("r3", 0, t0.Add(2*time.Second))

	// No verdict yet: ENOTFOUND, and the invocation carries none.
	_, err := db.ExpectationResult(ctx, "r1")
	wantCode(t, err, lambdadeck.ENOTFOUND)
	if inv, err := db.Invocation(ctx, "r1"); err != nil || inv.Expectation != nil {
		t.Fatalf("Invocation: %v, expectation %+v", err, inv.Expectation)
	}

	failed := lambdadeck.ExpectationResult{Failures: []string{`statusCode == 200: got 500`, `response at .body: expected "ok", got "fail"`}}
	passed := lambdadeck.ExpectationResult{Passed: true}
	if err := db.SetExpectationResult(ctx, "r1", passed); err != nil {
		t.Fatal(err)
	}
	// A second verdict on the same invocation replaces the first.
	if err := db.SetExpectationResult(ctx, "r1", failed); err != nil {
		t.Fatal(err)
	}
	if err := db.SetExpectationResult(ctx, "r2", passed); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.SetExpectationResult(ctx, "nope", passed), lambdadeck.ENOTFOUND)

	got, err := db.ExpectationResult(ctx, "r1")
	if err != nil || !reflect.DeepEqual(*got, failed) {
		t.Errorf("ExpectationResult(r1) = %+v, %v; want %+v", got, err, failed)
	}
	inv, err := db.Invocation(ctx, "r1")
	if err != nil || inv.Expectation == nil || !reflect.DeepEqual(*inv.Expectation, failed) {
		t.Errorf("Invocation(r1).Expectation = %+v, %v", inv.Expectation, err)
	}

	// Lists carry each verdict, and none where there is none.
	page, err := db.ListInvocations(ctx, InvocationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]*lambdadeck.ExpectationResult{}
	for _, item := range page.Items {
		verdicts[item.RequestID] = item.Expectation
	}
	if verdicts["r3"] != nil || verdicts["r2"] == nil || !verdicts["r2"].Passed || verdicts["r1"] == nil || verdicts["r1"].Passed {
		t.Errorf("list verdicts: r1 %+v, r2 %+v, r3 %+v", verdicts["r1"], verdicts["r2"], verdicts["r3"])
	}

	// The latest verdict per fixture is r2's, the one evaluated last.
	latest, err := db.LatestFixtureResults(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 1 {
		t.Fatalf("LatestFixtureResults = %+v", latest)
	}
	fr := latest[fx.ID]
	if fr.RequestID != "r2" || fr.Function != "api" || fr.Status != lambdadeck.StatusRunning || !fr.Result.Passed || fr.EvaluatedAt.IsZero() {
		t.Errorf("latest result = %+v", fr)
	}
	if err := db.SetExpectationResult(ctx, "r1", failed); err != nil {
		t.Fatal(err)
	}
	latest, _ = db.LatestFixtureResults(ctx)
	if fr := latest[fx.ID]; fr.RequestID != "r1" || fr.Result.Passed {
		t.Errorf("latest after re-evaluating r1 = %+v", fr)
	}
}

func TestEnvironments(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)

	if envs, err := db.Environments(ctx); err != nil || len(envs) != 0 {
		t.Fatalf("Environments on a new database = %v, %v", envs, err)
	}
	_, err := db.Environment(ctx, "dev")
	wantCode(t, err, lambdadeck.ENOTFOUND)

	stage := &Environment{Name: " stage ", Variables: map[string]string{"host": "stage.example", "api-key": `a"b\c`, "empty": ""}}
	if err := db.SaveEnvironment(ctx, stage); err != nil {
		t.Fatal(err)
	}
	if stage.Name != "stage" || stage.UpdatedAt.IsZero() {
		t.Errorf("saved = %+v", stage)
	}
	if err := db.SaveEnvironment(ctx, &Environment{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Environment(ctx, "stage")
	if err != nil || !reflect.DeepEqual(got.Variables, stage.Variables) || !got.UpdatedAt.Equal(stage.UpdatedAt) {
		t.Errorf("Environment(stage) = %+v, %v", got, err)
	}

	// Saving again replaces the variables.
	if err := db.SaveEnvironment(ctx, &Environment{Name: "stage", Variables: map[string]string{"host": "new"}}); err != nil {
		t.Fatal(err)
	}
	envs, err := db.Environments(ctx)
	if err != nil || len(envs) != 2 || envs[0].Name != "dev" || len(envs[0].Variables) != 0 || envs[1].Name != "stage" ||
		!reflect.DeepEqual(envs[1].Variables, map[string]string{"host": "new"}) {
		t.Errorf("Environments = %+v, %v", envs, err)
	}

	for _, bad := range []*Environment{
		{Name: ""},
		{Name: "1st"},
		{Name: "a b"},
		{Name: "ok", Variables: map[string]string{"bad name": "x"}},
		{Name: "ok", Variables: map[string]string{"x": "\xff"}},
	} {
		wantCode(t, db.SaveEnvironment(ctx, bad), lambdadeck.EINVALID)
	}

	if err := db.DeleteEnvironment(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteEnvironment(ctx, "dev"), lambdadeck.ENOTFOUND)
	_, err = db.Environment(ctx, "dev")
	wantCode(t, err, lambdadeck.ENOTFOUND)
}

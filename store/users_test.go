package store

import (
	"context"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

func TestUsersCreateReadUpdate(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)

	alice := lambdadeck.User{Name: "alice", Email: "alice@example.com", Role: lambdadeck.RoleRunner}
	if err := db.CreateUser(ctx, &alice, "$argon2id$v=19$stand-in"); err != nil {
		t.Fatal(err)
	}
	if alice.ID == 0 || !alice.HasPassword || alice.CreatedAt.IsZero() {
		t.Fatalf("created user = %+v", alice)
	}
	dup := lambdadeck.User{Name: "ALICE", Role: lambdadeck.RoleViewer}
	if err := db.CreateUser(ctx, &dup, ""); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Fatalf("a name taken in another case: err = %v, want ECONFLICT", err)
	}
	for _, bad := range []lambdadeck.User{{Name: "", Role: lambdadeck.RoleViewer}, {Name: "a b", Role: lambdadeck.RoleViewer}, {Name: "bob", Role: "root"}} {
		if err := db.CreateUser(ctx, &bad, ""); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
			t.Errorf("CreateUser(%+v) err = %v, want EINVALID", bad, err)
		}
	}

	got, err := db.UserByName(ctx, "Alice")
	if err != nil || got.ID != alice.ID || got.Role != lambdadeck.RoleRunner {
		t.Fatalf("UserByName(Alice) = %+v, %v", got, err)
	}
	if got, err := db.UserByEmail(ctx, "ALICE@example.com"); err != nil || got.ID != alice.ID {
		t.Fatalf("UserByEmail = %+v, %v", got, err)
	}
	if _, err := db.UserByName(ctx, "nobody"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Fatalf("unknown user err = %v", err)
	}
	if hash, err := db.UserPasswordHash(ctx, alice.ID); err != nil || hash != "$argon2id$v=19$stand-in" {
		t.Fatalf("hash = %q, %v", hash, err)
	}

	if err := db.SetUserRole(ctx, alice.ID, lambdadeck.RoleEditor); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserDisabled(ctx, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserPasswordHash(ctx, alice.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchUserLogin(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	got, err = db.User(ctx, alice.ID)
	if err != nil || got.Role != lambdadeck.RoleEditor || !got.Disabled || got.HasPassword || got.LastLoginAt.IsZero() {
		t.Fatalf("after updates = %+v, %v", got, err)
	}
	if err := db.SetUserRole(ctx, 9999, lambdadeck.RoleAdmin); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Fatalf("SetUserRole(unknown) err = %v", err)
	}
	if n, err := db.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
	if users, err := db.Users(ctx); err != nil || len(users) != 1 || users[0].Name != "alice" {
		t.Fatalf("Users = %+v, %v", users, err)
	}
}

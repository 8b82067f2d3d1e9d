package lambdadeck

import "testing"

func TestRoleAllowsTheRolesBelowIt(t *testing.T) {
	cases := []struct {
		have, need Role
		want       bool
	}{
		{RoleViewer, RoleViewer, true},
		{RoleViewer, RoleRunner, false},
		{RoleRunner, RoleViewer, true},
		{RoleRunner, RoleEditor, false},
		{RoleEditor, RoleRunner, true},
		{RoleEditor, RoleAdmin, false},
		{RoleAdmin, RoleEditor, true},
		{Role("root"), RoleViewer, false},
		{Role(""), RoleViewer, false},
	}
	for _, c := range cases {
		if got := c.have.Allows(c.need); got != c.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", c.have, c.need, got, c.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	if r, err := ParseRole(" Editor "); err != nil || r != RoleEditor {
		t.Fatalf("ParseRole(Editor) = %q, %v", r, err)
	}
	_, err := ParseRole("owner")
	if ErrorCode(err) != EINVALID {
		t.Fatalf("ParseRole(owner) error = %v, want EINVALID", err)
	}
	if msg := ErrorMessage(err); msg != `"owner" is not a role: use one of viewer, runner, editor, admin.` {
		t.Fatalf("message = %q", msg)
	}
}

func TestPrincipalString(t *testing.T) {
	if s := LocalPrincipal.String(); s != "local" {
		t.Errorf("local = %q", s)
	}
	p := Principal{Kind: PrincipalKey, User: "alice", KeyID: "AKIDLD123", KeyName: "ci"}
	if s := p.String(); s != "alice (key ci)" {
		t.Errorf("key = %q", s)
	}
	if !LocalPrincipal.Can(RoleAdmin) {
		t.Error("the laptop owner must have every role")
	}
}

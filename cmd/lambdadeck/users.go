package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/web"
)

const usersUsage = `Usage:
  lambdadeck users add NAME --role viewer|runner|editor|admin [--email ADDR] [--password-stdin] [--db ...]
  lambdadeck users list [--db ...]
  lambdadeck users set-role NAME ROLE [--db ...]
  lambdadeck users disable NAME [--enable] [--db ...]
  lambdadeck users reset-password NAME [--password-stdin] [--db ...]

Accounts of a team-mode lambdadeck (serve --auth local|proxy|oidc). add and
reset-password print a one-time password, or read one line from stdin with
--password-stdin; the password is stored only as an argon2id hash.
`

// cliActor is how the audit log names the command line.
const cliActor = "local (command line)"

// Users manages accounts in the database.
func (a *App) Users(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(a.Stderr, usersUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	if sub == "help" {
		fmt.Fprint(a.Stdout, usersUsage)
		return exitOK
	}
	var k keyFlags
	fs := a.newFlagSet("users "+sub, strings.TrimSpace(strings.Split(usersUsage, "\n")[1]))
	k.register(fs)
	role := fs.String("role", "", "the account's `role`: viewer, runner, editor or admin")
	email := fs.String("email", "", "the account's e-mail `address` (what a proxy header or OIDC gives)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of printing a new one")
	enable := fs.Bool("enable", false, "disable: enable the account again instead")
	pos, err := parse(fs, rest)
	if err != nil {
		return a.fail(usageError(err))
	}
	want := map[string]int{"add": 1, "list": 0, "set-role": 2, "disable": 1, "reset-password": 1}
	n, known := want[sub]
	if !known {
		fmt.Fprintf(a.Stderr, "lambdadeck: unknown users command %q\n\n%s", sub, usersUsage)
		return exitUsage
	}
	if len(pos) != n {
		return a.fail(usageError(fmt.Errorf("users %s takes %d arguments, got %d (%q)", sub, n, len(pos), strings.Join(pos, " "))))
	}
	var parsedRole lambdadeck.Role
	switch sub {
	case "add":
		if *role == "" {
			return a.fail(usageError(fmt.Errorf("users add needs --role viewer|runner|editor|admin")))
		}
		if parsedRole, err = lambdadeck.ParseRole(*role); err != nil {
			return a.fail(err)
		}
		if err := store.ValidUserName(pos[0]); err != nil {
			return a.fail(err)
		}
	case "set-role":
		if parsedRole, err = lambdadeck.ParseRole(pos[1]); err != nil {
			return a.fail(err)
		}
	}
	var password string
	if sub == "add" || sub == "reset-password" {
		if password, err = a.readOrMakePassword(*fromStdin); err != nil {
			return a.fail(err)
		}
	}
	db, err := k.open(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	audit := func(action, target, detail string) {
		_ = db.AppendAudit(ctx, store.AuditEntry{Actor: cliActor, Action: action, Target: target, Detail: detail})
	}
	switch sub {
	case "list":
		users, err := db.Users(ctx)
		if err != nil {
			return a.fail(err)
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tPASSWORD\tE-MAIL\tLAST SIGN-IN")
		for _, u := range users {
			status, last, pw := "active", "never", "no"
			if u.Disabled {
				status = "disabled"
			}
			if !u.LastLoginAt.IsZero() {
				last = u.LastLoginAt.UTC().Format(time.RFC3339)
			}
			if u.HasPassword {
				pw = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, status, pw, u.Email, last)
		}
		tw.Flush()
		return exitOK
	case "add":
		hash, err := web.HashPassword(password)
		if err != nil {
			return a.fail(err)
		}
		u := lambdadeck.User{Name: pos[0], Email: *email, Role: parsedRole}
		if err := db.CreateUser(ctx, &u, hash); err != nil {
			return a.fail(err)
		}
		audit(store.AuditUserCreate, u.Name, "role "+string(u.Role))
		fmt.Fprintf(a.Stdout, "Account %s added as %s.\n", u.Name, u.Role)
		if !*fromStdin {
			fmt.Fprintf(a.Stdout, "One-time password (shown only now; change it under Your account): %s\n", password)
		}
		return exitOK
	}
	u, err := db.UserByName(ctx, pos[0])
	if err != nil {
		return a.fail(err)
	}
	switch sub {
	case "set-role":
		if err := db.SetUserRole(ctx, u.ID, parsedRole); err != nil {
			return a.fail(err)
		}
		audit(store.AuditUserRole, u.Name, fmt.Sprintf("%s -> %s", u.Role, parsedRole))
		fmt.Fprintf(a.Stdout, "%s is now %s.\n", u.Name, parsedRole)
	case "disable":
		if err := db.SetUserDisabled(ctx, u.ID, !*enable); err != nil {
			return a.fail(err)
		}
		if *enable {
			audit(store.AuditUserEnable, u.Name, "")
			fmt.Fprintf(a.Stdout, "%s is enabled.\n", u.Name)
			break
		}
		n, err := db.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return a.fail(err)
		}
		audit(store.AuditUserDisable, u.Name, "")
		fmt.Fprintf(a.Stdout, "%s is disabled; %d sessions ended.\n", u.Name, n)
	case "reset-password":
		hash, err := web.HashPassword(password)
		if err != nil {
			return a.fail(err)
		}
		if err := db.SetUserPasswordHash(ctx, u.ID, hash); err != nil {
			return a.fail(err)
		}
		if _, err := db.DeleteUserSessions(ctx, u.ID); err != nil {
			return a.fail(err)
		}
		audit(store.AuditUserPassword, u.Name, "sessions ended")
		fmt.Fprintf(a.Stdout, "%s's password is reset; their sessions ended.\n", u.Name)
		if !*fromStdin {
			fmt.Fprintf(a.Stdout, "One-time password (shown only now): %s\n", password)
		}
	}
	return exitOK
}

// readOrMakePassword reads one line of stdin, or makes a random password.
func (a *App) readOrMakePassword(fromStdin bool) (string, error) {
	if !fromStdin {
		return web.NewPassword(), nil
	}
	line, err := bufio.NewReader(io.LimitReader(a.Stdin, web.MaxPasswordBytes+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := web.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

// Audit prints the audit log as JSON lines, newest first.
func (a *App) Audit(ctx context.Context, args []string) int {
	var k keyFlags
	fs := a.newFlagSet("audit", "lambdadeck audit [--actor NAME] [--action auth.|fixture.update] [--target T] [--limit 500] [--db ...]")
	k.register(fs)
	actor := fs.String("actor", "", "only entries by this `principal` (alice, local)")
	action := fs.String("action", "", "only this `action`, or a prefix ending in a dot (auth.)")
	target := fs.String("target", "", "only entries about this `target`")
	limit := fs.Int("limit", 500, "at most this `many` entries (500 at most)")
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) != 0 {
		return a.fail(usageError(fmt.Errorf("audit takes no arguments, got %q", strings.Join(pos, " "))))
	}
	if *limit <= 0 || *limit > 500 {
		return a.fail(usageError(fmt.Errorf("--limit must be 1 to 500")))
	}
	db, err := k.open(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	entries, err := db.AuditEntries(ctx, store.AuditFilter{Actor: *actor, Action: *action, Target: *target, Limit: *limit})
	if err != nil {
		return a.fail(err)
	}
	enc := json.NewEncoder(a.Stdout)
	for _, e := range entries {
		if err := enc.Encode(map[string]any{"id": e.ID, "at": e.At.UTC().Format(time.RFC3339Nano), "actor": e.Actor,
			"action": e.Action, "target": e.Target, "detail": e.Detail, "client": e.Client}); err != nil {
			return a.fail(err)
		}
	}
	return exitOK
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

const keysUsage = `Usage:
  lambdadeck keys create [--user NAME] [--name NAME] [--db ...]
  lambdadeck keys list [--user NAME] [--db ...]
  lambdadeck keys revoke ACCESS_KEY_ID [--db ...]

An API key lets the AWS CLI, the SDKs and lambdadeck invoke --server call
a team-mode lambdadeck as an account, with that account's role. create
prints the key as lines of an AWS credentials file; its secret is shown
only then. --user defaults to the account named as you (%s).
`

// Keys manages API keys in the database: create, list, revoke.
func (a *App) Keys(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(a.Stderr, keysUsage, osUserName())
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "create":
		return a.createKey(ctx, rest)
	case "list":
		return a.listKeys(ctx, rest)
	case "revoke":
		return a.revokeKey(ctx, rest)
	case "help":
		fmt.Fprintf(a.Stdout, keysUsage, osUserName())
		return exitOK
	default:
		fmt.Fprintf(a.Stderr, "lambdadeck: unknown keys command %q\n\n"+keysUsage, sub, osUserName())
		return exitUsage
	}
}

func osUserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// keyFlags are the flags of every keys command.
type keyFlags struct {
	db, stateDir string
	busy         time.Duration
}

func (k *keyFlags) register(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}) {
	fs.StringVar(&k.db, "db", filepath.Join(".lambdadeck", "lambdadeck.db"), "the SQLite `file` of the lambdadeck server")
	fs.StringVar(&k.stateDir, "state-dir", "", "the `folder` with the server key ("+store.SecretsFile+"; default: the database's folder)")
	fs.DurationVar(&k.busy, "db-busy-timeout", 10*time.Second, "how `long` a write waits for the database's lock")
}

func (k *keyFlags) open(ctx context.Context) (*store.DB, error) {
	c := commonFlags{db: k.db, stateDir: k.stateDir, busyTimeout: k.busy}
	return c.openStore(ctx)
}

func (k *keyFlags) secrets() (*store.Secrets, error) {
	c := commonFlags{db: k.db, stateDir: k.stateDir}
	return store.OpenSecrets(filepath.Join(c.stateDirectory(), store.SecretsFile))
}

// findUser is the account named name, or the one named as the OS user.
func findUser(ctx context.Context, db *store.DB, name string) (lambdadeck.User, error) {
	explicit := name != ""
	if !explicit {
		name = osUserName()
	}
	u, err := db.UserByName(ctx, name)
	if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
		if explicit {
			return u, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no account named %q (lambdadeck users list shows them)", name)
		}
		return u, lambdadeck.Errorf(lambdadeck.EINVALID, "no account is named %q like you: say whose key it is with --user NAME", name)
	}
	return u, err
}

func (a *App) createKey(ctx context.Context, args []string) int {
	var k keyFlags
	fs := a.newFlagSet("keys create", "lambdadeck keys create [--user NAME] [--name NAME] [--db ...]")
	k.register(fs)
	userName := fs.String("user", "", "the `account` the key acts for (default: the one named as you)")
	name := fs.String("name", store.DefaultKeyName, "what the key is for (`NAME`, shown in the history)")
	profile := fs.String("profile", "lambdadeck", "the AWS `profile` name printed in the credentials lines")
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) != 0 {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "keys create takes no arguments (got %q): use --user and --name", strings.Join(pos, " ")))
	}
	if strings.ContainsAny(*profile, "[]\n\r") || strings.TrimSpace(*profile) == "" {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "--profile %q is not a profile name", *profile))
	}
	db, err := k.open(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	u, err := findUser(ctx, db, *userName)
	if err != nil {
		return a.fail(err)
	}
	secrets, err := k.secrets()
	if err != nil {
		return a.fail(err)
	}
	key, secret, err := db.CreateAPIKey(ctx, secrets, u.ID, *name)
	if err != nil {
		return a.fail(err)
	}
	a.auditKey(ctx, db, store.AuditKeyCreate, key)
	// The key on stdout, as lines of ~/.aws/credentials; the rest on stderr.
	fmt.Fprintf(a.Stdout, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", *profile, key.AccessKeyID, secret)
	fmt.Fprintf(a.Stderr, "Created API key %q for %s (%s). Its secret is shown only now: add the lines above to ~/.aws/credentials,\n"+
		"or run aws configure --profile %s, then aws lambda invoke --profile %s --endpoint-url http://SERVER ...\n",
		key.Name, u.Name, u.Role, *profile, *profile)
	return exitOK
}

func (a *App) listKeys(ctx context.Context, args []string) int {
	var k keyFlags
	fs := a.newFlagSet("keys list", "lambdadeck keys list [--user NAME] [--db ...]")
	k.register(fs)
	userName := fs.String("user", "", "only this `account`'s keys (default: every account's)")
	if _, err := parse(fs, args); err != nil {
		return a.fail(usageError(err))
	}
	db, err := k.open(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	var userID int64
	if *userName != "" {
		u, err := findUser(ctx, db, *userName)
		if err != nil {
			return a.fail(err)
		}
		userID = u.ID
	}
	keys, err := db.APIKeys(ctx, userID)
	if err != nil {
		return a.fail(err)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCESS KEY ID\tUSER\tNAME\tCREATED\tLAST USED\tSTATUS")
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, key := range keys {
		status := "active"
		if key.Revoked() {
			status = "revoked " + when(key.RevokedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", key.AccessKeyID, key.User, key.Name, when(key.CreatedAt), when(key.LastUsedAt), status)
	}
	tw.Flush()
	return exitOK
}

func (a *App) revokeKey(ctx context.Context, args []string) int {
	var k keyFlags
	fs := a.newFlagSet("keys revoke", "lambdadeck keys revoke ACCESS_KEY_ID [--db ...]")
	k.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) != 1 {
		fs.Usage()
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "keys revoke takes one access key id, got %d", len(pos)))
	}
	db, err := k.open(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	key, err := db.APIKey(ctx, pos[0])
	if err != nil {
		return a.fail(err)
	}
	if err := db.RevokeAPIKey(ctx, key.AccessKeyID); err != nil {
		return a.fail(err)
	}
	a.auditKey(ctx, db, store.AuditKeyRevoke, key)
	fmt.Fprintf(a.Stderr, "Revoked API key %s: requests signed with it are refused from now on.\n", pos[0])
	return exitOK
}

// auditKey records a key change made on the command line in the audit
// log, as the machine's owner ("local") with the OS user named; the change
// is made already, so a failure is only reported.
func (a *App) auditKey(ctx context.Context, db *store.DB, action string, key lambdadeck.APIKey) {
	err := db.AppendAudit(ctx, store.AuditEntry{Actor: lambdadeck.LocalPrincipal.String(), Action: action, Target: key.AccessKeyID,
		Detail: fmt.Sprintf("key %q of %s, with lambdadeck keys as OS user %s", key.Name, key.User, osUserName())})
	if err != nil {
		fmt.Fprintf(a.Stderr, "lambdadeck: warning: the audit log did not record it: %v\n", err)
	}
}

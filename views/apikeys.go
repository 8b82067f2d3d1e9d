package views

// KeysPage is the model of KeysView.
type KeysPage struct {
	Page
	Heading string
	// Base is where the page's forms post: /account/keys or /admin/keys.
	Base string
	// Admin shows every account's keys, with the account column and the
	// account picker in the create form.
	Admin     bool
	CanCreate bool
	Notice    string
	Keys      []KeyRow
	// Users are the accounts an admin may create a key for.
	Users []string
	// Created is the key just created, with its secret; nil otherwise.
	Created  *CreatedKey
	Error    string
	FormName string
	FormUser string
}

// KeyRow is one key in the list; never its secret.
type KeyRow struct {
	AccessKeyID string
	User        string
	Name        string
	Created     string
	LastUsed    string
	Status      string
	Revoked     bool
}

// CreatedKey is a key just created: the only time its secret is shown.
type CreatedKey struct {
	AccessKeyID string
	Secret      string
	Name        string
	User        string
	// Commands are the aws configure and aws lambda invoke lines to use it.
	Commands string
}

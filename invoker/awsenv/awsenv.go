// Package awsenv gives handlers the AWS credentials, Region and endpoints
// that sam local gives them: the machine's standard credential chain
// (environment, shared config and credentials files with --profile, SSO,
// credential_process, assumed roles, container credentials), resolved by
// lambdadeck once with the AWS SDK for Go v2 and cached (refreshed when they
// expire), handed to each new instance as AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; and local stand-ins for AWS
// services (DynamoDB Local, MinIO...) through the SDKs' service-specific
// endpoint variables, AWS_ENDPOINT_URL_<SERVICE>.
package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/lambdadeck/lambdadeck"
)

// Options say where the credentials, Region and endpoints come from.
type Options struct {
	Profile string // --profile; empty for AWS_PROFILE, else "default"
	Region  string // --region; empty for the profile's, else lambdadeck.DefaultRegion
	// Endpoints map a service (dynamodb, s3, "secrets manager"; "" for
	// every service) to the URL its SDK clients call.
	Endpoints map[string]string
}

// Env resolves and hands out the AWS variables of new instances. It is
// safe for concurrent use.
type Env struct {
	region    string
	endpoints map[string]string // variable name → URL
	creds     aws.CredentialsProvider

	mu      sync.Mutex
	checked bool
	none    error // why there are no credentials, once known
}

// retrieveTimeout bounds one credential lookup (SSO, assume role...).
const retrieveTimeout = 30 * time.Second

// New loads the AWS configuration once: the profile, its Region and the
// credential chain. Credentials themselves are fetched at the first
// instance start and then cached. The EC2 instance metadata service is not
// asked unless AWS_EC2_METADATA_DISABLED=false is set: off EC2 it costs
// seconds of timeouts, and lambdadeck sends nothing off the machine unasked.
func New(ctx context.Context, opts Options) (*Env, error) {
	endpoints, err := endpointVariables(opts.Endpoints)
	if err != nil {
		return nil, err
	}
	loaders := []func(*config.LoadOptions) error{}
	if opts.Profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		if !validRegion(opts.Region) {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "--region %q is not an AWS Region (for example eu-west-1)", opts.Region)
		}
		loaders = append(loaders, config.WithRegion(opts.Region))
	}
	if os.Getenv("AWS_EC2_METADATA_DISABLED") != "false" {
		loaders = append(loaders, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "AWS profile %q is not in the shared config or credentials file", missing.Profile)
		}
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "loading the AWS configuration: %v", err)
	}
	region := cfg.Region
	if region == "" {
		region = lambdadeck.DefaultRegion
	} else if !validRegion(region) {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the AWS configuration's Region %q is not an AWS Region", region)
	}
	return &Env{region: region, endpoints: endpoints, creds: cfg.Credentials}, nil
}

// Region is the Region handlers run in.
func (e *Env) Region() string { return e.region }

// Variables returns the AWS variables for a new instance: the Region,
// the endpoints, and fresh credentials, or AWS_EC2_METADATA_DISABLED=true
// when there are none so that the handler's SDK fails at once instead of
// probing 169.254.169.254. A chain that finds no credentials is asked
// once; one that fails to refresh them is asked again next time.
func (e *Env) Variables(ctx context.Context) map[string]string {
	vars := map[string]string{"AWS_REGION": e.region, "AWS_DEFAULT_REGION": e.region}
	for k, v := range e.endpoints {
		vars[k] = v
	}
	creds, err := e.credentials(ctx)
	if err != nil {
		vars["AWS_EC2_METADATA_DISABLED"] = "true"
		return vars
	}
	vars["AWS_ACCESS_KEY_ID"] = creds.AccessKeyID
	vars["AWS_SECRET_ACCESS_KEY"] = creds.SecretAccessKey
	if creds.SessionToken != "" {
		vars["AWS_SESSION_TOKEN"] = creds.SessionToken
	}
	return vars
}

// Status says, without any secret, whether handlers get credentials.
func (e *Env) Status(ctx context.Context) string {
	creds, err := e.credentials(ctx)
	if err != nil {
		return "no AWS credentials: " + err.Error()
	}
	return "AWS credentials from " + creds.Source + " (access key ending " + last4(creds.AccessKeyID) + ")"
}

func last4(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[len(s)-4:]
}

func (e *Env) credentials(ctx context.Context) (aws.Credentials, error) {
	e.mu.Lock()
	if e.none != nil {
		e.mu.Unlock()
		return aws.Credentials{}, e.none
	}
	first := !e.checked
	e.checked = true
	e.mu.Unlock()
	if e.creds == nil {
		return aws.Credentials{}, e.noCredentials(errors.New("no credential provider"))
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), retrieveTimeout)
	defer cancel()
	// cfg.Credentials is an aws.CredentialsCache: it refreshes expired
	// credentials and shares one retrieval among concurrent callers.
	creds, err := e.creds.Retrieve(ctx)
	if err != nil {
		if first {
			return aws.Credentials{}, e.noCredentials(err)
		}
		return aws.Credentials{}, err
	}
	return creds, nil
}

func (e *Env) noCredentials(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "failed to refresh cached credentials, "); i >= 0 {
		msg = msg[i+len("failed to refresh cached credentials, "):]
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.none = errors.New(msg)
	return e.none
}

// validRegion accepts Region names such as us-east-1, eu-central-2,
// us-gov-west-1, cn-north-1, and local ones (local, us-local-1).
func validRegion(r string) bool {
	if r == "" || len(r) > 32 {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return r[0] != '-' && r[len(r)-1] != '-'
}

// EndpointVariable is the variable that points a service's SDK clients at
// url: AWS_ENDPOINT_URL_ followed by the service's ID in capitals with
// spaces (and here dashes and dots too) as underscores, as AWS's
// "service-specific endpoints" reference names them (DynamoDB →
// AWS_ENDPOINT_URL_DYNAMODB, Secrets Manager →
// AWS_ENDPOINT_URL_SECRETS_MANAGER); "" gives AWS_ENDPOINT_URL, for every
// service.
func EndpointVariable(service string) (string, error) {
	service = strings.TrimSpace(service)
	if service == "" || service == "*" {
		return "AWS_ENDPOINT_URL", nil
	}
	var b strings.Builder
	for _, c := range service {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ', c == '-', c == '_', c == '.':
			b.WriteByte('_')
		default:
			return "", lambdadeck.Errorf(lambdadeck.EINVALID, "%q is not an AWS service ID (for example dynamodb, s3, sqs, secrets-manager)", service)
		}
	}
	return "AWS_ENDPOINT_URL_" + b.String(), nil
}

// endpointVariables checks the endpoints and names their variables.
func endpointVariables(endpoints map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for service, raw := range endpoints {
		name, err := EndpointVariable(service)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the endpoint for %s, %q, is not an http:// or https:// URL", cmpService(service), raw)
		}
		out[name] = raw
	}
	return out, nil
}

func cmpService(s string) string {
	if s == "" {
		return "every service"
	}
	return s
}

// ParseEndpoint reads one --aws-endpoint value: SERVICE=URL, or URL alone
// for every service.
func ParseEndpoint(v string) (service, endpoint string, err error) {
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return "", v, nil
	}
	service, endpoint, ok := strings.Cut(v, "=")
	if !ok || service == "" {
		return "", "", lambdadeck.Errorf(lambdadeck.EINVALID, "want SERVICE=URL (dynamodb=http://127.0.0.1:8000), got %q", v)
	}
	return service, endpoint, nil
}

// ProjectKey is the reserved top-level key of lambdadeck.env.json that
// holds the project's AWS settings, beside its named environments:
//
//	{"$aws": {"region": "eu-west-1", "profile": "dev",
//	          "endpoints": {"dynamodb": "http://127.0.0.1:8000"}},
//	 "dev": {"host": "..."}}
const ProjectKey = "$aws"

// Project is the "$aws" entry of lambdadeck.env.json.
type Project struct {
	Region    string            `json:"region,omitempty"`
	Profile   string            `json:"profile,omitempty"`
	Endpoints map[string]string `json:"endpoints,omitempty"`
}

// ReadProject reads the "$aws" entry of the lambdadeck.env.json at path;
// a missing file or entry is an empty Project.
func ReadProject(path string) (Project, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Project{}, nil
	} else if err != nil {
		return Project{}, lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read %s: %v", path, err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return Project{}, lambdadeck.Errorf(lambdadeck.EINVALID, "%s must be a JSON object of environments, each an object of variables ({\"dev\": {\"host\": \"...\"}}), with an optional %q entry: %v", path, ProjectKey, err)
	}
	raw, ok := doc[ProjectKey]
	if !ok {
		return Project{}, nil
	}
	var p Project
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Project{}, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: %q must be {\"region\": ..., \"profile\": ..., \"endpoints\": {\"dynamodb\": \"http://127.0.0.1:8000\"}}: %v", path, ProjectKey, err)
	}
	if _, err := endpointVariables(p.Endpoints); err != nil {
		return Project{}, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: %s", path, lambdadeck.ErrorMessage(err))
	}
	return p, nil
}

// Merge returns opts completed by p: flags win over the project file.
func (p Project) Merge(opts Options) Options {
	if opts.Region == "" {
		opts.Region = p.Region
	}
	if opts.Profile == "" {
		opts.Profile = p.Profile
	}
	if len(p.Endpoints) > 0 {
		merged := map[string]string{}
		for k, v := range p.Endpoints {
			merged[k] = v
		}
		for k, v := range opts.Endpoints {
			merged[k] = v
		}
		opts.Endpoints = merged
	}
	return opts
}

// Describe lists the endpoints for the user ("AWS_ENDPOINT_URL_DYNAMODB=http://...").
func (e *Env) Describe() []string {
	var out []string
	for k, v := range e.endpoints {
		out = append(out, fmt.Sprintf("%s=%s", k, v))
	}
	sort.Strings(out)
	return out
}

// Package sigv4 verifies AWS Signature Version 4 on incoming requests, as
// AWS does for the AWS CLI and every SDK: it parses the Authorization
// header, looks up the secret of its access key, recomputes the signature
// over the request as received with the SDK's own signer
// (github.com/aws/aws-sdk-go-v2/aws/signer/v4) and compares the two in
// constant time. The signing itself is the SDK's; only the parsing of the
// header and the rebuilding of the request it signed are here.
package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// MaxSkew is how far a request's signing time may be from the server's
// clock, either way, as on AWS.
const MaxSkew = 15 * time.Minute

// amzDateFormat is X-Amz-Date's format.
const amzDateFormat = "20060102T150405Z"

// The error codes of a refusal, as AWS names them.
const (
	CodeMissingToken       = "MissingAuthenticationTokenException"
	CodeIncomplete         = "IncompleteSignatureException"
	CodeInvalidSignature   = "InvalidSignatureException"
	CodeUnrecognizedClient = "UnrecognizedClientException"
)

// MessageMismatch and MessageInvalidToken are AWS's words for a wrong
// signature and an unknown (or revoked) key.
const (
	MessageMismatch     = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	MessageInvalidToken = "The security token included in the request is invalid."
)

// Error is a refusal: the request is not signed by a known key. Code and
// Message are what AWS answers in such a case; all are 403.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrUnknownKey is what a Lookup returns for an access key id it does not
// know, or one that may no longer sign (revoked, its account disabled).
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Lookup returns the secret access key of accessKeyID, ErrUnknownKey when
// it has none; any other error is the server's own failure.
type Lookup func(ctx context.Context, accessKeyID string) (secret string, err error)

// Signature is what a verified request was signed with.
type Signature struct {
	AccessKeyID string
	Date        time.Time // its X-Amz-Date
	Region      string
	Service     string
}

// authorization is a parsed Authorization header.
type authorization struct {
	accessKeyID   string
	scopeDate     string
	region        string
	service       string
	signedHeaders []string
	signature     string
}

func incomplete(format string, args ...any) *Error {
	return &Error{Code: CodeIncomplete, Message: fmt.Sprintf(format, args...)}
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AKID/date/region/
// service/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(header string) (authorization, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if alg != Algorithm {
		return authorization{}, incomplete("Unsupported AWS 'algorithm': '%s' (lambdadeck accepts %s only)", truncate(alg, 40), Algorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		fields[k] = v
	}
	for _, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[name] == "" {
			return authorization{}, incomplete("Authorization header requires '%s' parameter. Authorization=%s", name, truncate(header, 200))
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" || scope[4] != "aws4_request" {
		return authorization{}, incomplete("Credential should be scoped to a valid region, not a malformed scope: %s", truncate(fields["Credential"], 200))
	}
	a := authorization{
		accessKeyID: scope[0], scopeDate: scope[1], region: scope[2], service: scope[3],
		signedHeaders: strings.Split(fields["SignedHeaders"], ";"),
		signature:     fields["Signature"],
	}
	if !slices.Contains(a.signedHeaders, "host") {
		return authorization{}, incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return a, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Verify checks that r is signed by a key lookup knows, within MaxSkew of
// now. body is r's whole body, already read (its hash is part of the
// signature). A refusal is an *Error; any other error is lookup's.
func Verify(ctx context.Context, r *http.Request, body []byte, now time.Time, lookup Lookup) (Signature, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Signature{}, &Error{Code: CodeMissingToken, Message: "Missing Authentication Token"}
	}
	a, err := parseAuthorization(header)
	if err != nil {
		return Signature{}, err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return Signature{}, incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=%s", truncate(header, 200))
	}
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return Signature{}, incomplete("X-Amz-Date %q is not in the form %s.", truncate(amzDate, 40), amzDateFormat)
	}
	if a.scopeDate != amzDate[:8] {
		return Signature{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", truncate(a.scopeDate, 20), amzDate[:8], amzDate)}
	}
	if r.Header.Get("X-Amz-Security-Token") != "" {
		// lambdadeck's keys are long-term keys: no session token goes with them.
		return Signature{}, &Error{Code: CodeUnrecognizedClient, Message: MessageInvalidToken}
	}
	secret, err := lookup(ctx, a.accessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		return Signature{}, &Error{Code: CodeUnrecognizedClient, Message: MessageInvalidToken}
	} else if err != nil {
		return Signature{}, err
	}
	now = now.UTC()
	if signedAt.Before(now.Add(-MaxSkew)) {
		return Signature{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	}
	if signedAt.After(now.Add(MaxSkew)) {
		return Signature{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			amzDate, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	}

	signedHeaders, signature, err := recompute(ctx, r, body, a, secret, signedAt)
	if err != nil {
		return Signature{}, err
	}
	ok := subtle.ConstantTimeCompare([]byte(signature), []byte(a.signature)) == 1
	if signedHeaders != strings.Join(a.signedHeaders, ";") || !ok {
		return Signature{}, &Error{Code: CodeInvalidSignature, Message: MessageMismatch}
	}
	return Signature{AccessKeyID: a.accessKeyID, Date: signedAt, Region: a.region, Service: a.service}, nil
}

// recompute signs a copy of r, carrying only the headers the client
// signed, with the SDK's signer, and returns the signed header list and
// signature it computed.
func recompute(ctx context.Context, r *http.Request, body []byte, a authorization, secret string, signedAt time.Time) (signedHeaders, signature string, err error) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	clone := &http.Request{
		Method: r.Method,
		// Path and RawPath as received: the signer escapes the path as the
		// client did (every AWS service but S3 escapes it twice).
		URL:    &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: make(http.Header),
	}
	for _, name := range a.signedHeaders {
		switch name {
		case "host":
			// The signer signs Host from clone.Host.
		case "content-length":
			// The signer signs Content-Length from the field, when above 0.
			n, err := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64)
			if err != nil {
				n = int64(len(body))
			}
			clone.ContentLength = n
		default:
			if values := r.Header.Values(name); len(values) > 0 {
				clone.Header[http.CanonicalHeaderKey(name)] = values
			}
		}
	}
	sum := sha256.Sum256(body)
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: a.accessKeyID, SecretAccessKey: secret}
	if err := signer.SignHTTP(ctx, creds, clone, hex.EncodeToString(sum[:]), a.service, a.region, signedAt); err != nil {
		return "", "", fmt.Errorf("sigv4: recompute the signature: %w", err)
	}
	mine, err := parseAuthorization(clone.Header.Get("Authorization"))
	if err != nil {
		return "", "", fmt.Errorf("sigv4: the signer's own header: %w", err)
	}
	return strings.Join(mine.signedHeaders, ";"), mine.signature, nil
}

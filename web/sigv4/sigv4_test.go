package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signed returns a request signed by the SDK's signer, as a server
// receives it.
func signed(t *testing.T, method, target, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Log-Type", "Tail")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "LDAKEXAMPLE", SecretAccessKey: "s3cret"},
		req, hex.EncodeToString(sum[:]), "lambda", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
	// What a server sees: the Host header promoted to req.Host.
	req.Host = req.URL.Host
	return req
}

func lookup(_ context.Context, id string) (string, error) {
	if id == "LDAKEXAMPLE" {
		return "s3cret", nil
	}
	return "", ErrUnknownKey
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	// An escaped ARN in the path and a query: both signed as sent.
	target := "http://127.0.0.1:9/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aecho/invocations?Qualifier=%24LATEST"
	req := signed(t, http.MethodPost, target, `{"a":1}`, now)
	sig, err := Verify(ctx, req, []byte(`{"a":1}`), now.Add(3*time.Minute), lookup)
	if err != nil || sig.AccessKeyID != "LDAKEXAMPLE" || sig.Region != "eu-west-1" || sig.Service != "lambda" || !sig.Date.Equal(now) {
		t.Fatalf("Verify = %+v, %v", sig, err)
	}

	code := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Code
		}
		return "not a refusal: " + err.Error()
	}
	cases := []struct {
		name   string
		mutate func(r *http.Request) []byte
		want   string
	}{
		{"other body", func(r *http.Request) []byte { return []byte(`{"a":2}`) }, CodeInvalidSignature},
		{"other path", func(r *http.Request) []byte {
			r.URL.Path, r.URL.RawPath = "/2015-03-31/functions/other/invocations", ""
			return []byte(`{"a":1}`)
		}, CodeInvalidSignature},
		{"other host", func(r *http.Request) []byte { r.Host = "127.0.0.1:10"; return []byte(`{"a":1}`) }, CodeInvalidSignature},
		{"signed header changed", func(r *http.Request) []byte { r.Header.Set("X-Amz-Log-Type", "None"); return []byte(`{"a":1}`) }, CodeInvalidSignature},
		{"signed header removed", func(r *http.Request) []byte { r.Header.Del("X-Amz-Log-Type"); return []byte(`{"a":1}`) }, CodeInvalidSignature},
		{"unknown key", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "LDAKEXAMPLE", "LDAKOTHER", 1))
			return []byte(`{"a":1}`)
		}, CodeUnrecognizedClient},
		{"session token", func(r *http.Request) []byte { r.Header.Set("X-Amz-Security-Token", "t"); return []byte(`{"a":1}`) }, CodeUnrecognizedClient},
		{"no Authorization", func(r *http.Request) []byte { r.Header.Del("Authorization"); return []byte(`{"a":1}`) }, CodeMissingToken},
		{"no X-Amz-Date", func(r *http.Request) []byte { r.Header.Del("X-Amz-Date"); return []byte(`{"a":1}`) }, CodeIncomplete},
		{"SigV4a", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), Algorithm, "AWS4-ECDSA-P256-SHA256", 1))
			return []byte(`{"a":1}`)
		}, CodeIncomplete},
		{"no Signature", func(r *http.Request) []byte {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			return []byte(`{"a":1}`)
		}, CodeIncomplete},
		{"host not signed", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return []byte(`{"a":1}`)
		}, CodeIncomplete},
		{"scope date not the request's", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261202/", "/20261201/", 1))
			return []byte(`{"a":1}`)
		}, CodeInvalidSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := signed(t, http.MethodPost, target, `{"a":1}`, now)
			body := c.mutate(r)
			if _, err := Verify(ctx, r, body, now, lookup); err == nil || code(err) != c.want {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
		})
	}

	// 15 minutes either way, as on AWS.
	r := signed(t, http.MethodGet, "http://127.0.0.1:9/2015-03-31/functions/", "", now)
	if _, err := Verify(ctx, r, nil, now.Add(15*time.Minute), lookup); err != nil {
		t.Errorf("at 15 minutes: %v", err)
	}
	_, err = Verify(ctx, r, nil, now.Add(15*time.Minute+time.Second), lookup)
	if code(err) != CodeInvalidSignature || err.Error() != CodeInvalidSignature+": Signature expired: 20261202T120000Z is now earlier than 20261202T120001Z (20261202T121501Z - 15 min.)" {
		t.Errorf("past 15 minutes: %v", err)
	}
	_, err = Verify(ctx, r, nil, now.Add(-16*time.Minute), lookup)
	if code(err) != CodeInvalidSignature || !strings.Contains(err.Error(), "Signature not yet current: 20261202T120000Z is still later than 20261202T115900Z (20261202T114400Z + 15 min.)") {
		t.Errorf("16 minutes early: %v", err)
	}

	// The store failing is not a refusal.
	boom := errors.New("disk on fire")
	r = signed(t, http.MethodGet, "http://127.0.0.1:9/2015-03-31/functions/", "", now)
	if _, err := Verify(ctx, r, nil, now, func(context.Context, string) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("lookup failure: %v", err)
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=LDAK/20261202/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab")
	f.Add("AWS4-HMAC-SHA256 Credential=/,,=, SignedHeaders=;, Signature=")
	f.Fuzz(func(t *testing.T, header string) {
		a, err := parseAuthorization(header)
		if err == nil && (a.accessKeyID == "" || a.signature == "") {
			t.Fatalf("accepted %q as %+v", header, a)
		}
	})
}

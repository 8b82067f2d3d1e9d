package web

// Signed Lambda API requests: in team mode every Lambda API request (on
// the dashboard's listener and on --api-addr's) must carry an AWS Signature
// Version 4 made with one of lambdadeck's API keys. The request then runs
// as the key's account, with the account's current role. In laptop mode
// nothing here runs: any credentials, or none, are accepted as before.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/web/sigv4"
)

// apiKeyTouchTimeout bounds the write of a key's last use, which must not
// hold up the request for long when the store is busy.
const apiKeyTouchTimeout = 2 * time.Second

// authenticateAPI verifies the request's signature and records its
// principal; the refusals are AWS's. The role check that follows is
// authorizeLambdaAPI's (authz.go). It reads the body whole (the
// signature covers its hash) and puts it back for the handler.
func (s *Server) authenticateAPI(c echo.Context) error {
	req := c.Request()
	body, err := io.ReadAll(io.LimitReader(req.Body, lambdadeck.MaxSyncPayload+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge(fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", lambdadeck.MaxSyncPayload))
		}
		return fmt.Errorf("read the request body to verify its signature: %w", err)
	}
	if len(body) > lambdadeck.MaxSyncPayload {
		return tooLarge(fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", lambdadeck.MaxSyncPayload))
	}
	req.Body = io.NopCloser(bytes.NewReader(body))

	var key lambdadeck.APIKey
	var user lambdadeck.User
	lookup := func(ctx context.Context, accessKeyID string) (string, error) {
		if s.secrets == nil {
			return "", sigv4.ErrUnknownKey // no server key: no key can be checked
		}
		k, secret, err := s.store.APIKeySecret(ctx, s.secrets, accessKeyID)
		if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
			return "", sigv4.ErrUnknownKey
		} else if err != nil {
			return "", err
		}
		if k.Revoked() {
			return "", sigv4.ErrUnknownKey
		}
		u, err := s.store.User(ctx, k.UserID)
		if err != nil {
			return "", err
		}
		if u.Disabled {
			return "", sigv4.ErrUnknownKey
		}
		key, user = k, u
		return secret, nil
	}
	if _, err := sigv4.Verify(req.Context(), req, body, time.Now(), lookup); err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return &apiError{Status: http.StatusForbidden, Code: se.Code, Message: se.Message}
		}
		return err
	}
	setPrincipal(c, lambdadeck.Principal{
		Kind: lambdadeck.PrincipalKey, UserID: user.ID, User: user.Name,
		KeyID: key.AccessKeyID, KeyName: key.Name, Role: user.Role,
	})
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), apiKeyTouchTimeout)
	defer cancel()
	if _, err := s.store.TouchAPIKey(ctx, key); err != nil {
		// The request is good; only its last-use time is lost.
		s.logger.Warn("could not record an API key's use", "key", key.AccessKeyID, "err", err)
	}
	return nil
}

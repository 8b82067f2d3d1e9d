// TOKEN authorizer (v1 policy): "allow" is allowed as alice, "deny" is
// denied, anything else is 401.
exports.token = async (event) => {
  const effect = event.authorizationToken === "allow" ? "Allow" : event.authorizationToken === "deny" ? "Deny" : null;
  if (!effect) throw new Error("Unauthorized");
  return {
    principalId: "alice",
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: event.methodArn }] },
    context: { user: "alice", level: 3 },
  };
};

// REQUEST authorizer for an HTTP API (v2 simple response).
exports.simple = async (event) => ({
  isAuthorized: event.headers["x-token"] === "yes",
  context: { role: "admin" },
});

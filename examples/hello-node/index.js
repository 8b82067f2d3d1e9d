// The smallest useful Lambda handler. Lambda calls the exported async function
// with the event (the JSON you invoke it with) and the context object, and
// sends back whatever the returned promise resolves to. This shape
// (statusCode and a string body) is what API Gateway expects.
module.exports.handler = async (event, context) => ({ statusCode: 200, body: JSON.stringify({ message: "Your Lambda function has successfully executed!" }) });

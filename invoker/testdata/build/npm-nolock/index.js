const ms = require("ms");

exports.handler = async () => ({ oneMinute: ms("1m") });

// missing is named in package.json only by the test that removes it.
exports.missing = async () => require("not-installed-dep");

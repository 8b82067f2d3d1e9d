package sam

import (
	"fmt"
	"time"
)

// Lambda's runtime identifiers, from the AWS Lambda Developer Guide's
// "Lambda runtimes" page: the supported table, and the deprecated table
// with each runtime's deprecation date (as published in 2025, with the
// dates AWS had scheduled then). A runtime past its date still runs here,
// with a note: AWS no longer applies security patches to it and blocks
// creating, then updating, functions that use it.
var (
	supportedRuntimes = map[string]bool{
		"nodejs24.x": true, "nodejs22.x": true,
		"python3.14": true, "python3.13": true, "python3.12": true, "python3.11": true,
		"provided.al2023": true,
		"java25":          true, "java21": true, "java17": true, "java11": true, "java8.al2": true,
		"dotnet10": true, "dotnet9": true, "dotnet8": true,
		"ruby3.4": true, "ruby3.3": true,
	}
	deprecatedRuntimes = map[string]string{
		"nodejs20.x": "2026-04-30", "nodejs18.x": "2025-09-01", "nodejs16.x": "2024-06-12",
		"nodejs14.x": "2023-12-04", "nodejs12.x": "2023-03-31", "nodejs10.x": "2021-07-30",
		"nodejs8.10": "2020-03-06", "nodejs6.10": "2019-08-12", "nodejs4.3": "2020-03-05",
		"nodejs4.3-edge": "2019-04-30", "nodejs": "2016-10-31",
		"python3.10": "2026-10-31", "python3.9": "2025-12-15", "python3.8": "2024-10-14",
		"python3.7": "2023-12-04", "python3.6": "2022-07-18", "python2.7": "2021-07-15",
		"go1.x": "2024-01-08", "provided": "2024-01-08", "provided.al2": "2026-07-31",
		"java8": "2024-01-08", "dotnet7": "2024-05-14", "dotnet6": "2024-12-20",
		"dotnetcore3.1": "2023-04-03", "dotnetcore2.1": "2022-04-13", "dotnet5.0": "2022-05-10",
		"ruby3.2": "2026-03-31", "ruby2.7": "2023-12-07", "ruby2.5": "2022-03-31",
	}
)

// runtimeWarning is the template warning for a declared runtime that
// Lambda does not have (a typo such as provided.al2023023, or nodejs99.x);
// empty for a runtime Lambda has or had.
func runtimeWarning(runtime string) string {
	if _, deprecated := deprecatedRuntimes[runtime]; supportedRuntimes[runtime] || deprecated {
		return ""
	}
	return fmt.Sprintf("Runtime %s does not exist on AWS Lambda (a typo?); AWS would refuse this function", runtime)
}

// DeprecationNote says, for a runtime AWS has deprecated by now, that it
// runs here but AWS no longer accepts it; empty for a current runtime. It
// is a note on the function (its page, the CLI), not a template warning:
// the template is fine, the runtime is old.
func DeprecationNote(runtime string, now time.Time) string {
	date, ok := deprecatedRuntimes[runtime]
	if !ok {
		return ""
	}
	if day, err := time.Parse(time.DateOnly, date); err == nil && now.Before(day) {
		return "" // supported until its scheduled date
	}
	return fmt.Sprintf("%s was deprecated by AWS on %s: it runs here, but AWS no longer patches it and refuses to create or update functions that use it", runtime, date)
}

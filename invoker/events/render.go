package events

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/template"
)

// execute runs the template file with values (every parameter set) and
// returns its raw, not yet indented, output.
//
// Templates never print a value bare: they go through functions that quote
// and escape for JSON, so a value with quotes, backslashes or newlines stays
// one JSON string:
//
//	q "bucket"        the value as a JSON string, quotes included
//	s "bucket"        the value escaped for use inside a "..." literal
//	n "count"         an integer parameter, as a JSON number
//	j "detail"        a JSON parameter, compacted
//	b64 "data"        the value, base64-encoded
//	md5 "body"        the hex MD5 of the value
//	s3key "key"       the value encoded as S3 encodes keys in its events
//	p "name"          the raw value, only to feed the functions below
//	quote STR         any string as a JSON string, quotes included
//	esc STR           any string escaped for use inside a "..." literal
//	base64 STR        any string, base64-encoded
//	gzip64 STR        any string, gzipped then base64-encoded
//	include NAME      the output of a {{define NAME}} block, as a string
//	seq N             0, 1, ... N-1, for {{range}}
//	add A B           A+B
func (t Template) execute(values map[string]string) ([]byte, error) {
	param := func(name string) (string, error) {
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("template uses undeclared parameter %q", name)
		}
		return v, nil
	}
	var tpl *template.Template
	funcs := template.FuncMap{
		"p": param,
		"q": func(name string) (string, error) {
			v, err := param(name)
			return jsonString(v), err
		},
		"s": func(name string) (string, error) {
			v, err := param(name)
			return escape(v), err
		},
		"n": func(name string) (int, error) {
			v, err := param(name)
			if err != nil {
				return 0, err
			}
			return strconv.Atoi(strings.TrimSpace(v))
		},
		"j": func(name string) (string, error) {
			v, err := param(name)
			if err != nil {
				return "", err
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, []byte(v)); err != nil {
				return "", err
			}
			return buf.String(), nil
		},
		"b64": func(name string) (string, error) {
			v, err := param(name)
			return base64.StdEncoding.EncodeToString([]byte(v)), err
		},
		"md5": func(name string) (string, error) {
			v, err := param(name)
			sum := md5.Sum([]byte(v))
			return hex.EncodeToString(sum[:]), err
		},
		"s3key": func(name string) (string, error) {
			v, err := param(name)
			return s3Key(v), err
		},
		"quote":  jsonString,
		"esc":    escape,
		"base64": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"gzip64": gzip64,
		"include": func(name string) (string, error) {
			var buf bytes.Buffer
			err := tpl.ExecuteTemplate(&buf, name, values)
			return buf.String(), err
		},
		"seq": func(n int) []int {
			s := make([]int, n)
			for i := range s {
				s[i] = i
			}
			return s
		},
		"add": func(a, b int) int { return a + b },
	}
	tpl, err := template.New(t.file).Funcs(funcs).Option("missingkey=error").ParseFS(templateFiles, "templates/"+t.file)
	if err != nil {
		return nil, fmt.Errorf("parsing event template %s: %w", t.file, err)
	}
	var out bytes.Buffer
	if err := tpl.ExecuteTemplate(&out, t.file[strings.LastIndex(t.file, "/")+1:], values); err != nil {
		return nil, fmt.Errorf("rendering event template %s: %w", t.file, err)
	}
	return out.Bytes(), nil
}

// jsonString returns s as a JSON string literal. HTML characters stay as
// they are: the output is for handlers and terminals, not pages.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// escape returns s escaped for use between the quotes of a JSON string.
func escape(s string) string {
	q := jsonString(s)
	return q[1 : len(q)-1]
}

// s3Key encodes an object key as S3 does in event notifications: URL query
// encoding (a space becomes +) that leaves the slashes alone.
func s3Key(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// gzip64 gzips s and base64-encodes the result, as CloudWatch Logs delivers
// subscription data.
func gzip64(s string) (string, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

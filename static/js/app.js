// lambdadeck's small progressive enhancements. Every page works without this
// file; it adds JSON formatting, live JSON validation and a keyboard shortcut.
// No inline scripts: the Content-Security-Policy is default-src 'self'.
(function () {
  "use strict";

  // lineColumn turns a character offset in text into a 1-based line and column.
  function lineColumn(text, offset) {
    var before = text.slice(0, offset);
    var lines = before.split("\n");
    return { line: lines.length, column: lines[lines.length - 1].length + 1 };
  }

  // scanJSON checks text against the JSON grammar and returns null, or the
  // offset and description of the first mistake. Browsers' JSON.parse
  // messages do not all give a position, so lambdadeck scans itself; the
  // wording follows the server's (Go's encoding/json).
  function scanJSON(text) {
    var i = 0;
    function fail(what) { throw { offset: i, message: what }; }
    // bad fails at the current character, saying where it was unexpected.
    function bad(where) {
      if (i >= text.length) { fail("unexpected end of JSON input"); }
      fail("invalid character '" + JSON.stringify(text[i]).slice(1, -1) + "' " + where);
    }
    function ws() { while (i < text.length && " \t\n\r".indexOf(text[i]) >= 0) { i++; } }
    function literal(word) {
      for (var k = 0; k < word.length; k++, i++) {
        if (text[i] !== word[k]) { bad("in literal " + word); }
      }
    }
    function string() {
      i++; // opening quote
      for (;;) {
        if (i >= text.length) { fail("unexpected end of JSON input"); }
        var c = text[i];
        if (c === '"') { i++; return; }
        if (c < " ") { bad("in string literal"); }
        if (c === "\\") {
          i++;
          if (i >= text.length) { fail("unexpected end of JSON input"); }
          if (text[i] === "u") {
            for (var k = 0; k < 4; k++) {
              i++;
              if (!/[0-9a-fA-F]/.test(text[i] || "")) { bad("in \\u hexadecimal character escape"); }
            }
          } else if ('"\\/bfnrt'.indexOf(text[i]) < 0) {
            bad("in string escape code");
          }
        }
        i++;
      }
    }
    function number() {
      var m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
      if (!m || m[0] === "-") { i++; bad("in numeric literal"); }
      i += m[0].length;
    }
    function value() {
      ws();
      var c = text[i];
      if (c === "{") {
        i++; ws();
        if (text[i] === "}") { i++; return; }
        for (;;) {
          ws();
          if (text[i] !== '"') { bad("looking for beginning of object key string"); }
          string(); ws();
          if (text[i] !== ":") { bad("after object key"); }
          i++; value(); ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === "}") { i++; return; }
          bad("after object key:value pair");
        }
      } else if (c === "[") {
        i++; ws();
        if (text[i] === "]") { i++; return; }
        for (;;) {
          value(); ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === "]") { i++; return; }
          bad("after array element");
        }
      } else if (c === '"') { string(); }
      else if (c === "-" || (c >= "0" && c <= "9")) { number(); }
      else if (c === "t") { literal("true"); }
      else if (c === "f") { literal("false"); }
      else if (c === "n") { literal("null"); }
      else { bad("looking for beginning of value"); }
    }
    try {
      value(); ws();
      if (i < text.length) { bad("after top-level value"); }
      return null;
    } catch (e) {
      if (e && typeof e.offset === "number") { return e; }
      throw e;
    }
  }

  // parseError returns null when text is valid JSON, else a message with the
  // line and column of the mistake, as the server words it.
  function parseError(text) {
    var err = scanJSON(text);
    if (!err) { return null; }
    var at = lineColumn(text, Math.min(err.offset, Math.max(text.length - 1, 0)));
    return "line " + at.line + ", column " + at.column + ": " + err.message;
  }

  // validate shows or clears the parse error of one JSON editor.
  function validate(editor) {
    var out = document.getElementById(editor.dataset.jsonError);
    var text = editor.value;
    var err = text.trim() === "" && editor.dataset.jsonOptional !== undefined ? null : parseError(text);
    if (err) {
      editor.setAttribute("aria-invalid", "true");
      if (out) { out.textContent = err; out.hidden = false; }
    } else {
      editor.removeAttribute("aria-invalid");
      if (out) { out.textContent = ""; out.hidden = true; }
    }
    return !err;
  }

  function format(editor) {
    if (!validate(editor) || editor.value.trim() === "") { return; }
    editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
  }

  function init(root) {
    root.querySelectorAll("textarea[data-json-error]").forEach(function (editor) {
      if (editor.dataset.jsonBound) { return; }
      editor.dataset.jsonBound = "1";
      editor.addEventListener("input", function () { validate(editor); });
      validate(editor);
    });
    root.querySelectorAll("button[data-format]").forEach(function (button) {
      if (button.dataset.formatBound) { return; }
      button.dataset.formatBound = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var editor = document.getElementById(button.dataset.format);
        if (editor) { format(editor); }
      });
    });
    // "Copy as": without JavaScript the commands are plain selectable text.
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (button.dataset.copyBound) { return; }
      button.dataset.copyBound = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var pre = document.getElementById(button.dataset.copy);
        if (!pre) { return; }
        var text = pre.textContent;
        var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(pre); });
        } else {
          selectText(pre);
        }
      });
    });
  }

  // selectText selects an element's text, for the user to copy by hand.
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Ctrl+Enter (Cmd+Enter) in the event editor submits the invoke form.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !(ev.ctrlKey || ev.metaKey)) { return; }
    var form = ev.target && ev.target.form;
    if (form && form.dataset.invokeForm !== undefined) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
})();

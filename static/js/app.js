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

  // parseError returns null when text is valid JSON, else a message with the
  // line and column of the mistake. Browsers word JSON.parse errors
  // differently: Chrome gives "position N" (newer: "line L column C"),
  // Firefox "at line L column C".
  function parseError(text) {
    try {
      JSON.parse(text);
      return null;
    } catch (e) {
      var msg = String(e.message || e);
      var lc = /line (\d+) column (\d+)/.exec(msg);
      if (lc) {
        return "line " + lc[1] + ", column " + lc[2] + ": " + msg;
      }
      var pos = /position (\d+)/.exec(msg);
      if (pos) {
        var at = lineColumn(text, Number(pos[1]));
        return "line " + at.line + ", column " + at.column + ": " + msg;
      }
      if (text.trim() !== "") {
        var end = lineColumn(text, text.length);
        return "line " + end.line + ", column " + end.column + ": " + msg;
      }
      return msg;
    }
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

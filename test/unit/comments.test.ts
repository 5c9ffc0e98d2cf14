/**
 * Comments are taken out of code only, in the language that runs it: the template text
 * around a page's code, and strings the language writes its own way, must not shift what
 * the reader takes for a comment (a `/*` in HTML before `<?php` hid the shell after it).
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import {
  scriptWithoutComments,
  serverCodeWithoutComments,
  vbWithoutComments,
  withoutComments,
} from '../../src/findings/web-shell/comments.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const top = (path: string, text: string) =>
  evaluateChange(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }) }))[0];

describe('withoutComments', () => {
  it('ignores what comments say, not URLs', () => {
    expect(withoutComments('a(); // eval($_GET)\n/* system($x) */ b("http://x/y");')).toBe(
      'a(); \n  b("http://x/y");',
    );
  });

  it("keeps a PHP page's template text as written, and reads only its code", () => {
    const page = "<p>don't /* x</p><?php a(); // c\n b(); /* d */ ?> /* e <?= f() # g ?>";
    expect(withoutComments(page)).toBe("<p>don't /* x</p><?php a(); \n b();   ?> /* e <?= f() ?>");
  });

  it("reads PHP's strings as PHP writes them", () => {
    // A heredoc's apostrophe, a comment marker in a string, `#` after code, `?>` in a string.
    expect(withoutComments("<?php $h = <<<EOT\ndon't /*\n  EOT;\n$a = '?>'; # x\nrun();")).toBe(
      "<?php $h = <<<EOT\ndon't /*\n  EOT;\n$a = '?>'; \nrun();",
    );
    // PHP 8's attributes are code; `?>` ends a line comment and the code with it.
    expect(withoutComments('<?php #[A] function f() {}\n// x ?>y')).toBe(
      '<?php #[A] function f() {}\n?>y',
    );
  });

  it('reads a bare `<?` as template text beside `<?php`, and as code alone', () => {
    expect(withoutComments("<? don't ?><?php $a = '/*'; run(); ?>")).toBe(
      "<? don't ?><?php $a = '/*'; run(); ?>",
    );
    expect(withoutComments('<? run(); // x\n?>')).toBe('<? run(); \n?>');
  });

  it("keeps a server page's template text, and reads its code blocks", () => {
    expect(withoutComments('<p>/* hi</p><% a(); // x\n%><%-- b() --%><p>//c</p>')).toBe(
      '<p>/* hi</p><% a(); \n%><% --%><p>//c</p>',
    );
    expect(
      withoutComments('<script>/* browser</script><SCRIPT RUNAT="server">a(); // x\n</SCRIPT>'),
    ).toBe('<script>/* browser</script><SCRIPT RUNAT="server">a(); \n</SCRIPT>');
  });

  it("reads C#'s verbatim strings, Java's text blocks and JavaScript's regexes whole", () => {
    expect(withoutComments('var p = @"C:\\"; var q = "/*"; run(); // x')).toBe(
      'var p = @"C:\\"; var q = "/*"; run(); ',
    );
    expect(withoutComments('String s = """\n " \n"""; run(); // x')).toBe(
      'String s = """\n " \n"""; run(); ',
    );
    expect(withoutComments("var r = /a\\/*/; var s = '*/'; run(); // x")).toBe(
      "var r = /a\\/*/; var s = '*/'; run(); ",
    );
    expect(withoutComments("function f(x) { return /'/.test(x); } // y")).toBe(
      "function f(x) { return /'/.test(x); } ",
    );
    // After a name or `)`, a `/` divides.
    expect(withoutComments('x = a / b; // c')).toBe('x = a / b; ');
  });

  it("reads VBScript's comments and strings", () => {
    expect(vbWithoutComments('x = "C:\\" \' note\ny = "/*": Rem z\nrun "it\'s"')).toBe(
      'x = "C:\\" \ny = "/*": \nrun "it\'s"',
    );
    expect(serverCodeWithoutComments("<p>don't</p><% x = 1 ' y\n%>", true)).toBe(
      "<p>don't</p><% x = 1 \n%>",
    );
  });

  it("takes only a script's whole-line comments out", () => {
    expect(scriptWithoutComments('#!/bin/sh\n# note\nls /tmp/* # x\n  # y\nrun')).toBe(
      '#!/bin/sh\n\nls /tmp/* # x\n\nrun',
    );
  });
});

describe('comment markers cannot hide the code after them', () => {
  it.each([
    ['a `/*` in the HTML before PHP', 'x.php', "<p>/* hi</p>\n<?php system($_GET['c']); ?>"],
    ['an apostrophe in the HTML', 'x.php', "<p>don't</p>\n<?php $a = '/*'; system($_GET['c']);"],
    ['an apostrophe in a `#` comment', 'x.php', "<?php # don't\n$b = '/*'; system($_GET['c']);"],
    [
      'an apostrophe in a heredoc',
      'x.php',
      "<?php $x = <<<E\ndon't\nE;\n$b = '/*'; system($_GET['c']);",
    ],
    ['a PHP 8 attribute', 'x.php', "<?php\n#[A] function f() { system($_GET['c']); } f();"],
    [
      'a backslash ending a VBScript string',
      'x.asp',
      '<%\nx = "C:\\"\ny = "/*"\nExecute(Request("c"))\n%>',
    ],
    [
      'a JScript regex',
      'x.asp',
      '<%@ language="JScript" %><%\nvar r = /a\\/*/;\neval(Request("c") + "");\n%>',
    ],
    [
      "a `/*` in a JSP's HTML",
      'x.jsp',
      '<p>/* hi</p><% Runtime.getRuntime().exec(request.getParameter("c")); %>',
    ],
    [
      "a `/*` in an ASP.NET page's HTML",
      'x.aspx',
      '<%@ Page Language="C#" %><p>/* hi</p><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>',
    ],
    [
      'a regex after `return` in JScript',
      'x.asp',
      '<%@ language="JScript" %><%\nfunction q(x) { return /\'/.test(x); }\nvar s = \'/*\';\neval(Request("c") + "");\n%>',
    ],
    [
      "a PHP comment around a JSP's code",
      'x.jsp',
      '<?php /* %><% Runtime.getRuntime().exec(request.getParameter("c")); %><?php */ ?>',
    ],
    [
      'a glob in a CGI script',
      'cgi-bin/x.cgi',
      '#!/bin/sh\necho "Content-type: text/plain"\nls /tmp/*\neval "$QUERY_STRING"\n',
    ],
  ])('%s', (_, name, text) => {
    expect(top(`/var/www/html/${name}`, text)?.severity).toBe('critical');
  });

  it('still reads a docblock after HTML as a comment', () => {
    const page = "<p>Help</p>\n<?php\n/** Example: system($_GET['c']); */\necho 'hi';\n";
    expect(top('/var/www/html/help.php', page)?.severity).not.toMatch(/critical|high/);
  });
});

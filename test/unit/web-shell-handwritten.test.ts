/**
 * Hand-written procedural pages (issue 27, thirty-second session): beginners' and small shops'
 * PHP reads the request, saves uploads under the names they were sent with and builds command
 * lines, as shells do. What sets them apart, each beside the shell it must still catch: an
 * upload kept on record in a database, a command line that quotes every value it is given, a
 * request value made a number, string interpolation that calls nothing, and a page the learned
 * likeness finds shell-like although it runs, evaluates, computes and hides nothing (and,
 * thirty-third session, uses no shell's tool but mail() to its office). The pages were written
 * for this test, after the forms of public beginner projects.
 */
import { describe, expect, it } from 'vitest';
import { ANY_DYNAMIC_CALL } from '../../src/findings/web-shell/request-flow.js';
import {
  INPUT_ONLY_THRESHOLD,
  TOOL_ONLY_THRESHOLD,
  likenessFinding,
  webShellLikeness,
  type LikenessModel,
} from '../../src/findings/web-shell/likeness.js';
import { LIKENESS_MODEL } from '../../src/findings/web-shell/likeness-model.js';
import { isAlarm, isRuleAlarm, topFinding } from '../support/top-finding.js';

/** A model under which every page scores `score`, its threshold 0.9. */
const modelScoring = (score: number): LikenessModel => ({
  trainedOn: 'test',
  threshold: 0.9,
  bias: Math.log(score / (1 - score)),
  features: [],
  weights: [],
});

describe('hand-written procedural pages', () => {
  it('leaves an upload the page records in its database to the upload rules, not the shell rule', () => {
    const page = `<?php
include 'db.php';
if (isset($_POST['add'])) {
  $name = mysqli_real_escape_string($conn, $_POST['name']);
  $image = $_FILES['image']['name'];
  $target = "images/" . basename($image);
  $sql = "INSERT INTO products (name, image) VALUES ('$name', '$image')";
  if (mysqli_query($conn, $sql) && move_uploaded_file($_FILES['image']['tmp_name'], $target)) {
    header('Location: products.php');
  }
}
`;
    expect(isRuleAlarm('/var/www/html/admin/add_product.php', page)).toBe(false);
    // The same upload with nothing recorded is a shell's uploader.
    const uploader = page
      .replace(/\s*\$sql = [^\n]+\n/, '\n')
      .replace('mysqli_query($conn, $sql) && ', '');
    expect(topFinding('/var/www/html/admin/add_product.php', uploader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
    // A prepared statement given the name is a record too; a query about something else is not.
    const prepared = page.replace(
      /\$sql = [^\n]+\n\s*if \(mysqli_query\(\$conn, \$sql\)/,
      `$stmt = $pdo->prepare("INSERT INTO products (name, image) VALUES (?, ?)");
  if ($stmt->execute([$name, $image])`,
    );
    expect(isRuleAlarm('/var/www/html/admin/add_product.php', prepared)).toBe(false);
    const unrelated = uploader.replace(
      'include',
      `mysqli_query($conn, "UPDATE visits SET n = n + 1 WHERE page = 'upload'");\ninclude`,
    );
    expect(isRuleAlarm('/var/www/html/admin/add_product.php', unrelated)).toBe(true);
  });

  it('does not call a command line that quotes every value it is given a command run on input', () => {
    const thumbnail = `<?php
$src = basename($_GET['img']);
exec('convert ' . escapeshellarg("uploads/$src") . ' -resize 200x200 ' . escapeshellarg("thumbs/$src"));
header('Location: thumbs/' . rawurlencode($src));
`;
    expect(isRuleAlarm('/var/www/html/thumb.php', thumbnail)).toBe(false);
    // Unquoted, or with no program of the page's own first, the visitor chooses what runs.
    expect(isRuleAlarm('/var/www/html/thumb.php', thumbnail.replace(/escapeshellarg/g, ''))).toBe(
      true,
    );
    expect(isRuleAlarm('/var/www/html/x.php', `<?php\nsystem(escapeshellarg($_GET['c']));\n`)).toBe(
      true,
    );
    expect(
      isRuleAlarm('/var/www/html/x.php', `<?php\n$c = $_GET['c'];\nsystem(escapeshellcmd($c));\n`),
    ).toBe(true);
  });

  it('does not take request input made a number for input a command runs', () => {
    const invoice = `<?php
$id = (int) $_GET['id'];
exec("wkhtmltopdf http://localhost/invoice.php?id=$id /tmp/inv$id.pdf");
header('Content-Type: application/pdf');
readfile("/tmp/inv$id.pdf");
`;
    expect(isRuleAlarm('/var/www/html/invoice.php', invoice)).toBe(false);
    expect(
      isRuleAlarm(
        '/var/www/html/invoice.php',
        invoice.replace('intval(', '(').replace('(int) ', ''),
      ),
    ).toBe(true);
    expect(
      isRuleAlarm(
        '/var/www/html/invoice.php',
        invoice.replace('(int) $_GET', 'intval($_GET').replace("['id'];", "['id']);"),
      ),
    ).toBe(false);
  });

  it('reads string interpolation as text, not as a call through a variable', () => {
    expect(ANY_DYNAMIC_CALL.test(`echo "<h2>Welcome {$username} ({$role})</h2>";`)).toBe(false);
    expect(ANY_DYNAMIC_CALL.test(`$f = $_GET['f']; $f($_GET['a']);`)).toBe(true);
    expect(ANY_DYNAMIC_CALL.test(`\${'f'}($x);`)).toBe(true);
    expect(ANY_DYNAMIC_CALL.test(`$\{f}($x);`)).toBe(true);
  });

  it('asks more of the likeness for a page that runs, evaluates, computes and hides nothing', () => {
    // A model under which both pages score 0.999, between its threshold and INPUT_ONLY_THRESHOLD.
    const words = Array.from({ length: 70 }, (_, i) => `word${i}`);
    const model = modelScoring(0.999);
    const quiet = `<?php\n$name = $_POST['name'];\n// ${words.join(' ')}\necho htmlspecialchars($name);\n`;
    const runs = quiet.replace('echo htmlspecialchars($name);', 'eval($name);');
    expect(0.999).toBeLessThan(INPUT_ONLY_THRESHOLD);
    expect(likenessFinding(quiet, model)).toBeUndefined();
    expect(likenessFinding(runs, model)?.severity).toBe('high');
    // Its code is what counts: a template literal in the page's JavaScript calls nothing.
    const script = `${quiet}?>\n<script>el.html(\`Selected: \${file.name} (\${size(file.size)})\`);</script>\n`;
    expect(likenessFinding(script, model)).toBeUndefined();
    // PHP's own script element is code, not the browser's.
    const phpScript = quiet.replace(
      'echo htmlspecialchars($name);',
      '?><script language="php">\n  eval($name);\n</script>',
    );
    expect(likenessFinding(phpScript, model)?.severity).toBe('high');
    // A shell's tools count as doing something: mailing a list, reading a file the visitor names.
    const mails = quiet.replace(
      'echo htmlspecialchars($name);',
      "mail($name, 'Offer', 'Buy now');",
    );
    expect(likenessFinding(mails, model)?.severity).toBe('high');
    const reads = quiet.replace('echo htmlspecialchars($name);', 'echo file_get_contents($name);');
    expect(likenessFinding(reads, model)?.severity).toBe('high');
    // Deleting the image a record had is an application's housekeeping.
    expect(
      likenessFinding(
        quiet.replace('echo htmlspecialchars($name);', 'unlink("img/$id.png");'),
        model,
      ),
    ).toBeUndefined();
    // A page that does reach the stricter threshold is ranked all the same.
    expect(likenessFinding(quiet, { ...model, bias: 12 })?.severity).toBe('high');
  });

  it('asks the trained threshold of a page whose only signal is a shell’s tool', () => {
    // A model under which every page scores 0.99: above its threshold, below TOOL_ONLY_THRESHOLD.
    const words = Array.from({ length: 70 }, (_, i) => `word${i}`).join(' ');
    const model = modelScoring(0.99);
    const page = (line: string) => `<?php\n$name = $_POST['name'];\n// ${words}\n${line}\n`;
    expect(0.99).toBeLessThan(TOOL_ONLY_THRESHOLD);
    expect(likenessFinding(page('eval($name);'), model)?.severity).toBe('high');
    expect(likenessFinding(page("mail('office@example.org', 'Contact', $name);"), model)).toBe(
      undefined,
    );
    expect(likenessFinding(page('echo file_get_contents($name);'), model)).toBeUndefined();
  });

  it('leaves a hand-written contact form below high with the shipped model', () => {
    const contact = `<?php
$sent = false;
$error = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $name = trim($_POST['name'] ?? '');
    $email = filter_var($_POST['email'] ?? '', FILTER_VALIDATE_EMAIL);
    $message = trim($_POST['message'] ?? '');
    if ($name === '' || !$email || $message === '') {
        $error = 'Please fill in every field.';
    } else {
        $body = "Name: $name\\nEmail: $email\\n\\n$message";
        $headers = "From: website@example.org\\r\\nReply-To: $email";
        $sent = mail('info@example.org', 'Message from the website', $body, $headers);
        if (!$sent) $error = 'Sorry, the message could not be sent.';
    }
}
?>
<!DOCTYPE html>
<html>
<head><title>Contact us</title><link rel="stylesheet" href="style.css"></head>
<body>
<?php include 'header.php'; ?>
<h1>Contact us</h1>
<?php if ($sent): ?>
  <p class="ok">Thank you, we will reply soon.</p>
<?php else: ?>
  <?php if ($error): ?><p class="error"><?= htmlspecialchars($error) ?></p><?php endif; ?>
  <form method="post" action="contact.php">
    <label>Name <input type="text" name="name" value="<?= htmlspecialchars($_POST['name'] ?? '') ?>"></label>
    <label>Email <input type="email" name="email"></label>
    <label>Message <textarea name="message" rows="6"></textarea></label>
    <button type="submit">Send</button>
  </form>
<?php endif; ?>
<?php include 'footer.php'; ?>
</body>
</html>`;
    // The model finds it shell-like, and it mails: a shell's tool, but no more than that.
    expect(webShellLikeness(contact).score).toBeGreaterThanOrEqual(LIKENESS_MODEL.threshold);
    expect(isAlarm('/var/www/html/contact.php', contact)).toBe(false);
  });

  it('leaves a hand-written login page below high with the shipped model', () => {
    const login = `<?php
session_start();
require 'config.php';
$conn = mysqli_connect($db_host, $db_user, $db_pass, $db_name) or die('Could not connect: ' . mysqli_connect_error());
if (isset($_POST['login'])) {
  $user = mysqli_real_escape_string($conn, $_POST['username']);
  $pass = $_POST['password'];
  $result = mysqli_query($conn, "SELECT id, password FROM users WHERE username = '$user'");
  $row = mysqli_fetch_assoc($result);
  if ($row && password_verify($pass, $row['password'])) {
    $_SESSION['user_id'] = $row['id'];
    header('Location: dashboard.php');
    exit();
  } else {
    $error = 'Invalid username or password';
  }
}
?>
<html><head><title>Login</title></head><body>
<?php if (isset($error)) echo "<div class='error'>$error</div>"; ?>
<form method="post" action=""><label>Username</label><input type="text" name="username"><label>Password</label>
<input type="password" name="password"><input type="submit" name="login" value="Login"></form></body></html>`;
    // The model finds it shell-like (its words are a login form's, as many shells' are)…
    expect(webShellLikeness(login).score).toBeGreaterThanOrEqual(LIKENESS_MODEL.threshold);
    // …but it runs, evaluates, computes and hides nothing.
    expect(isAlarm('/var/www/html/login.php', login)).toBe(false);
  });
});

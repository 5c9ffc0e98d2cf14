/**
 * Mass mailers (issue 27, tuning side): mail sent to each address of a list the visitor
 * gives, against a contact form mailing its own address and a newsletter mailing its
 * subscribers.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

describe('mass mailers', () => {
  it('ranks mail sent to each line of a textarea critical', () => {
    const mailer = `<?php
$from = $_POST['from'];
$subject = $_POST['subject'];
$list = explode("\\n", $_POST['emails']);
foreach ($list as $to) {
  $to = trim($to);
  if (mail($to, $subject, $_POST['body'], "From: $from")) echo "sent to $to<br>";
}
`;
    expect(topFinding('/var/www/html/m.php', mailer)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a mass mailer/),
    });
  });

  it('does not alarm on a contact form nor on a newsletter mailing its subscribers', () => {
    const contact = `<?php
$name = strip_tags($_POST['name']);
$reply = filter_var($_POST['email'], FILTER_VALIDATE_EMAIL);
foreach (['name', 'email', 'message'] as $field) if (empty($_POST[$field])) die('missing');
mail('office@example.org', 'Contact: ' . $name, $_POST['message'], "Reply-To: $reply");
`;
    const newsletter = `<?php
$issue = (int) $_POST['issue'];
$rows = $db->query('SELECT email FROM subscribers WHERE active = 1');
foreach ($rows as $row) {
  mail($row['email'], $_POST['subject'], render_issue($issue));
}
`;
    expect(isAlarm('/var/www/html/contact.php', contact)).toBe(false);
    expect(isAlarm('/var/www/html/newsletter.php', newsletter)).toBe(false);
  });

  it("does not alarm on invitations sent to a typed list under the site's subject and sender", () => {
    // Friendica's invitation page: the visitor's list and note, the site's subject and From.
    const invite = `<?php
$recipients = !empty($_POST['recipients']) ? explode("\\n", $_POST['recipients']) : [];
$message = !empty($_POST['message']) ? escape_html(trim($_POST['message'])) : '';
$headers = 'From: "' . $user['email'] . '" <' . site_email_address() . ">\\n";
foreach ($recipients as $recipient) {
  $recipient = trim($recipient);
  if (!valid_email($recipient)) continue;
  $res = mail($recipient, encode_header(t('Please join us'), 'UTF-8'), $message . $link, $headers);
}
`;
    expect(isAlarm('/var/www/html/Invite.php', invite)).toBe(false);
    // Still a mail bomb: one address mailed as many times as the visitor says, whatever
    // the subject and sender (SimAttacker's: random ones).
    const bomb = `<?php
$to = $_POST['to'];
$nom = $_POST['nom'];
$Comments = $_POST['Comments'];
for ($i = 0; $i < $nom; $i++) {
  $from = rand(71, 1020000000) . '@' . 'example.org';
  $subject = md5("$from");
  mail($to, $subject, $Comments, "From:$from");
}
`;
    expect(topFinding('/var/www/html/storm.php', bomb)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a mass mailer/),
    });
    // Still a mass mailer when the visitor gives the subject or the sender as well.
    const spam = invite.replace("encode_header(t('Please join us'), 'UTF-8')", "$_POST['subject']");
    expect(topFinding('/var/www/html/Invite.php', spam)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a mass mailer/),
    });
  });

  it('ranks one mail a request, its recipient, message and sender all sent, critical', () => {
    const relay = `<?php
if ($_POST['operation'] == 'send') {
  $from = $_POST['m_from'];
  $mail = $_POST['mail'];
  $header = "From: " . $_POST['name_from'] . " <$from>\n";
  $message = "Content-Type: text/html\n\n" . $_POST['message'];
  if (@mail($mail, $_POST['subject'], $message, $header)) print "{'stat':true}";
}
`;
    expect(topFinding('/var/www/html/setting.php', relay)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a spam relay/),
    });
  });

  it('does not alarm on sending a page to a friend: the sender is the site', () => {
    const share = `<?php
$to = $_POST['friend'];
$note = strip_tags($_POST['note']);
mail($to, 'A page for you', $note . "\n" . $page_url, 'From: noreply@example.org');
`;
    expect(isAlarm('/var/www/html/share.php', share)).toBe(false);
  });
});

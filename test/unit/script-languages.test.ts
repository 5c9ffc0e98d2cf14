/**
 * Each language judged by its own rules (issue 27, a held-out benign false alarm read for
 * its cause, as that side allows): Perl, Python and shell scripts are judged by the CGI
 * rule, not by PHP's signs, which mean other things in them; a page named .php is PHP
 * whatever its first line says.
 */
import { describe, expect, it } from 'vitest';
import { topFinding } from '../support/top-finding.js';

const severity = (path: string, text: string) => topFinding(path, text)?.severity ?? 'info';

describe('scripts in other languages than PHP', () => {
  it("does not read a Perl module's variable calls and $_ names as a PHP shell's", () => {
    // A string interpolating "$choice (…)", a regex holding "$_(,…)", a param() read, system().
    const perl = `#!/usr/bin/perl
package IkiWiki::Plugin::poll;
sub sessioncgi {
  my ($q, $session) = @_;
  my $choice = decode_utf8(scalar $q->param('choice'));
  my $ret = "$choice ($percent%)\n";
  foreach (@pkgs) { next unless $seen{$_} =~ /(\A|,\s*)$_(,|\z)/; }
  system("rcs", "-q", $choice) if $ret;
}
1;
`;
    expect(severity('/usr/share/perl5/IkiWiki/Plugin/poll.pm', perl)).not.toMatch(/critical|high/);
    expect(severity('/usr/bin/rc-alert', perl)).not.toMatch(/critical|high/);
  });

  it('still ranks a Perl CGI script that runs the query critical, by the CGI rule', () => {
    const cgi = `#!/usr/bin/perl
use CGI;
my $q = CGI->new;
my $cmd = $q->param('cmd');
print "Content-type: text/plain\\n\\n";
print \`$cmd\`;
`;
    expect(topFinding('/usr/lib/cgi-bin/status.cgi', cgi)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/Perl CGI script/),
    });
  });

  it('still reads a page named .php as PHP, whatever its first line says', () => {
    const page = "#!/usr/bin/perl\n<?php system($_GET['c']); ?>";
    expect(topFinding('/var/www/html/x.php', page)).toMatchObject({ severity: 'critical' });
  });
});
